// The incidents area's words (namespace 'incidents').
export const en = {
  title: 'Incidents',
};

export const zhCN: typeof en = {
  title: 'Incidents',
};
