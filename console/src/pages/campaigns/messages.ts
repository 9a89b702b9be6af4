// The campaigns area's words (namespace 'campaigns').
export const en = {
  title: 'Campaigns',
};

export const zhCN: typeof en = {
  title: 'Campaigns',
};
