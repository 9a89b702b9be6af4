// The metrics area's words (namespace 'metrics').
export const en = {
  title: 'Metrics',
};

export const zhCN: typeof en = {
  title: 'Metrics',
};
