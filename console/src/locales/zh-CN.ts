import type { Messages } from './en.ts';

export const zhCN: Messages = {
  app: { name: 'opsflow 控制台', skip: '跳到正文', language: '语言', timezone: '时间按 {{zone}} 显示', loading: '加载中…' },
  nav: {
    label: '主导航', inbox: '待办', content: '内容', campaigns: '营销活动', customers: '用户', metrics: '指标与规则', incidents: '故障',
    partners: '合作伙伴', templates: '消息模板', admin: '管理', apiDocs: 'API 文档',
  },
  session: { signedInAs: '已登录：{{name}}（{{roles}}）', signOut: '退出登录' },
  signIn: {
    title: '登录',
    byEmail: '通过邮件获取登录链接',
    email: '邮箱',
    sendLink: '发送链接',
    linkSent: '如果 {{email}} 属于某位操作员，登录链接已发出。链接只能使用一次，15 分钟内有效。',
    byToken: '或粘贴 API 令牌',
    token: 'API 令牌',
    useToken: '用令牌登录',
    fromLink: '用邮件中的链接登录',
    fromLinkHelp: '链接只能使用一次。点击按钮即可在此浏览器中登录。',
    continue: '继续',
    otherWays: '其他登录方式',
  },
  pager: { count: '第 {{from}}–{{to}} 条，共 {{total}} 条', previous: '上一页', next: '下一页' },
  chart: { figures: '查看数据', time: '时间', category: '项目' },
  role: { admin: '管理员', ops_manager: '运营经理', reviewer: '审核员', legal: '法务', oncall: '值班', analyst: '分析师', ingest: '数据接入' },
  notFound: { title: '页面不存在', text: '控制台中没有这个地址对应的页面：可能输入有误，或来自旧链接。', home: '返回待办' },
  error: { title: '出错了', retry: '重试' },
};
