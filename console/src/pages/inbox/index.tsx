import type { AreaProps } from '../../areas.ts';
import { registerMessages } from '../../i18n.ts';
import { Inbox } from './Inbox.tsx';
import { en, zhCN } from './messages.ts';

registerMessages('inbox', { en, 'zh-CN': zhCN });

export default function InboxArea({ session }: AreaProps) {
  return <Inbox session={session} />;
}
