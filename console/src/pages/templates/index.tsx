import { useTranslation } from 'react-i18next';
import type { AreaProps } from '../../areas.ts';
import { usePageTitle } from '../../components/page.tsx';
import { registerMessages } from '../../i18n.ts';
import { en, zhCN } from './messages.ts';

registerMessages('templates', { en, 'zh-CN': zhCN });

export default function TemplatesArea(_props: AreaProps) {
  const { t } = useTranslation('templates');
  usePageTitle(t('title'));
  return <h1>{t('title')}</h1>;
}
