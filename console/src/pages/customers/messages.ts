// The customers area's words (namespace 'customers').
export const en = {
  title: 'Customers',
};

export const zhCN: typeof en = {
  title: 'Customers',
};
