// The message templates area's words (namespace 'templates').
export const en = {
  title: 'Message templates',
};

export const zhCN: typeof en = {
  title: '消息模板',
};
