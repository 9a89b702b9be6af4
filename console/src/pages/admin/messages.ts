// The admin area's words (namespace 'admin').
export const en = {
  title: 'Admin',
};

export const zhCN: typeof en = {
  title: 'Admin',
};
