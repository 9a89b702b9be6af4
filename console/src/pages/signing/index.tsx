// The partner's signing page (/sign/...): public, no operator session; the emailed link's token is its credential.
import { useTranslation } from 'react-i18next';
import { usePageTitle } from '../../components/page.tsx';
import { registerMessages } from '../../i18n.ts';
import { en, zhCN } from './messages.ts';

registerMessages('signing', { en, 'zh-CN': zhCN });

export default function SigningPage() {
  const { t } = useTranslation('signing');
  usePageTitle(t('title'));
  return <main id="main"><h1>{t('title')}</h1></main>;
}
