// The campaigns area: the list, the create and edit form, and one campaign's detail with its retrospective.
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap, type Session } from '../../api/client.ts';
import type { AreaProps } from '../../areas.ts';
import { ErrorNote, Loading, usePageTitle } from '../../components/page.tsx';
import { registerMessages } from '../../i18n.ts';
import { Link, Route, Switch } from '../../router.tsx';
import { CampaignDetail } from './CampaignDetail.tsx';
import { CampaignForm } from './CampaignForm.tsx';
import { CampaignList } from './CampaignList.tsx';
import { canManage, EDITABLE, isOwner } from './campaigns-api.ts';
import './campaigns.css';
import { en, zhCN } from './messages.ts';

registerMessages('campaigns', { en, 'zh-CN': zhCN });

function NewCampaign({ session }: { session: Session }) {
  const { t } = useTranslation('campaigns');
  usePageTitle(t('form.newTitle'));
  return (
    <section aria-labelledby="form-title">
      <p>
        <Link to="/">{t('detail.back')}</Link>
      </p>
      <h1 id="form-title">{t('form.newTitle')}</h1>
      {canManage(session) ? (
        <>
          <p className="muted">{t('form.newIntro')}</p>
          <CampaignForm />
        </>
      ) : (
        <p className="notice">{t('form.notAllowed')}</p>
      )}
    </section>
  );
}

function EditCampaign({ id, session }: { id: string; session: Session }) {
  const { t } = useTranslation('campaigns');
  usePageTitle(t('form.editTitle'));
  const campaign = useQuery({
    queryKey: ['campaigns', 'one', id],
    queryFn: async () => unwrap(await api.GET('/campaigns/{id}', { params: { path: { id } } })),
    // The form starts from what was read; a later change by someone else is refused (409) on save.
    refetchOnWindowFocus: false,
  });
  const c = campaign.data;
  return (
    <section aria-labelledby="form-title">
      <p>
        <Link to={`/${id}`}>{t('form.backToCampaign')}</Link>
      </p>
      <h1 id="form-title">{t('form.editTitle')}</h1>
      <ErrorNote error={campaign.error} />
      {campaign.isPending && <Loading />}
      {c &&
        (!c.spec || !EDITABLE.includes(c.stage) || c.launchedAt || !isOwner(session, c.ownerId) ? (
          <p className="notice">{t('form.notEditable', { stage: t(`stages.${c.stage}`) })}</p>
        ) : (
          <CampaignForm campaign={c} />
        ))}
    </section>
  );
}

export default function CampaignsArea({ session }: AreaProps) {
  return (
    <div className="campaigns-area">
      <Switch>
        <Route path="/">
          <CampaignList session={session} />
        </Route>
        <Route path="/new">
          <NewCampaign session={session} />
        </Route>
        <Route path="/:id/edit">{(params) => <EditCampaign key={params.id} id={params.id} session={session} />}</Route>
        <Route path="/:id">{(params) => <CampaignDetail key={params.id} id={params.id} session={session} />}</Route>
      </Switch>
    </div>
  );
}
