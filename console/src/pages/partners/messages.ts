// The partners area's words (namespace 'partners').
export const en = {
  title: 'Partners',
};

export const zhCN: typeof en = {
  title: 'Partners',
};
