// The content area's words (namespace 'content').
export const en = {
  title: 'Content',
};

export const zhCN: typeof en = {
  title: 'Content',
};
