// The partner's signing page's words (namespace 'signing').
export const en = {
  title: 'Sign the contract',
};

export const zhCN: typeof en = {
  title: '签署合同',
};
