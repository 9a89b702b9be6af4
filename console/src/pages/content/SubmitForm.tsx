// Submitting content: title, text, tier, channels (GET /channels), an optional publish time and review settings.
// A refusal lists the API's reasons above the form and beside each field, and everything typed stays.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type Session } from '../../api/client.ts';
import { ErrorNote, Loading, usePageTitle } from '../../components/page.tsx';
import { timeZone } from '../../format.ts';
import { Link, navigate } from '../../router.tsx';
import { canSubmit, FieldRefusal, fromLocalInput, TIERS, unwrapWithFields, type SubmitBody, type Tier } from './content-api.ts';

type Field = 'title' | 'body' | 'tier' | 'channels' | 'publishAt' | 'reviewSla' | 'maxRounds';

export function SubmitForm({ session }: { session: Session }) {
  const { t } = useTranslation('content');
  usePageTitle(t('form.title'));
  const queryClient = useQueryClient();
  const [title, setTitle] = useState('');
  const [body, setBody] = useState('');
  const [tier, setTier] = useState<Tier>('A');
  const [channels, setChannels] = useState<string[]>([]);
  const [publishAt, setPublishAt] = useState('');
  const [reviewSla, setReviewSla] = useState('');
  const [maxRounds, setMaxRounds] = useState('');

  const channelList = useQuery({
    queryKey: ['channels'],
    queryFn: async () => unwrapWithFields(await api.GET('/channels')),
  });
  const enabled = channelList.data?.items.filter((c) => c.enabled) ?? [];

  const submit = useMutation({
    mutationFn: async (input: SubmitBody) => unwrapWithFields(await api.POST('/content', { body: input })),
    onSuccess: ({ id }) => {
      void queryClient.invalidateQueries({ queryKey: ['content', 'list'] });
      navigate(`/console/content/${id}`);
    },
  });
  const refusal = submit.error instanceof FieldRefusal ? submit.error : undefined;
  const problems = (field: Field) => refusal?.fields[field] ?? [];

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const at = fromLocalInput(publishAt);
    submit.mutate({
      title,
      body,
      tier,
      channels,
      ...(at ? { publishAt: at } : {}),
      ...(reviewSla.trim() ? { reviewSla: reviewSla.trim() } : {}),
      ...(maxRounds.trim() ? { maxRounds: Number(maxRounds) } : {}),
    });
  };
  const toggleChannel = (name: string, on: boolean) => setChannels((prev) => (on ? [...prev, name] : prev.filter((c) => c !== name)));

  const labels: Record<Field, string> = {
    title: t('form.fieldTitle'),
    body: t('form.body'),
    tier: t('form.tier'),
    channels: t('form.channels'),
    publishAt: t('form.publishAt'),
    reviewSla: t('form.reviewSla'),
    maxRounds: t('form.maxRounds'),
  };
  const describedBy = (field: Field, help?: boolean) =>
    [help ? `content-${field}-help` : '', problems(field).length ? `content-${field}-error` : ''].filter(Boolean).join(' ') || undefined;
  const fieldProps = (field: Field, help?: boolean) => ({
    'aria-invalid': problems(field).length > 0 || undefined,
    'aria-describedby': describedBy(field, help),
  });

  if (!canSubmit(session)) {
    return (
      <section>
        <h1>{t('form.title')}</h1>
        <p className="error">{t('form.notAllowed')}</p>
      </section>
    );
  }

  return (
    <section aria-labelledby="content-form-title" className="content-form">
      <p>
        <Link to="/">{t('form.back')}</Link>
      </p>
      <h1 id="content-form-title">{t('form.title')}</h1>
      <p className="muted">{t('form.intro')}</p>
      {submit.error && !refusal && <ErrorNote error={submit.error} />}
      {refusal && (
        <div role="alert" className="error">
          <p>
            {t('form.refused')} {refusal.summary}
          </p>
          {Object.keys(refusal.fields).length > 0 && (
            <ul>
              {Object.entries(refusal.fields).flatMap(([field, messages]) =>
                messages.map((message) => (
                  <li key={`${field}-${message}`}>{t('form.fieldProblem', { field: labels[field as Field] ?? field, message })}</li>
                )),
              )}
            </ul>
          )}
        </div>
      )}
      <form onSubmit={onSubmit}>
        <div className="field">
          <label htmlFor="content-title-input">{t('form.fieldTitle')}</label>
          <input
            id="content-title-input"
            required
            maxLength={1000}
            value={title}
            onChange={(e) => setTitle(e.target.value)}
            {...fieldProps('title')}
          />
          <Problems field="title" messages={problems('title')} />
        </div>
        <div className="field">
          <label htmlFor="content-body-input">{t('form.body')}</label>
          <textarea
            id="content-body-input"
            required
            rows={10}
            maxLength={200_000}
            value={body}
            onChange={(e) => setBody(e.target.value)}
            {...fieldProps('body')}
          />
          <Problems field="body" messages={problems('body')} />
        </div>
        <fieldset className="field" aria-describedby={describedBy('tier')}>
          <legend>{t('form.tier')}</legend>
          {TIERS.map((value) => (
            <label key={value} className="choice">
              <input type="radio" name="content-tier" value={value} checked={tier === value} onChange={() => setTier(value)} />{' '}
              {t(`tierHelp.${value}`)}
            </label>
          ))}
          <Problems field="tier" messages={problems('tier')} />
        </fieldset>
        <fieldset className="field" aria-describedby={describedBy('channels')}>
          <legend>{t('form.channels')}</legend>
          <ErrorNote error={channelList.error} />
          {channelList.isPending && <Loading />}
          {channelList.data && enabled.length === 0 && <p className="muted">{t('form.noChannels')}</p>}
          {enabled.map((c) => (
            <label key={c.id} className="choice">
              <input type="checkbox" checked={channels.includes(c.name)} onChange={(e) => toggleChannel(c.name, e.target.checked)} />{' '}
              {c.name}
            </label>
          ))}
          <Problems field="channels" messages={problems('channels')} />
        </fieldset>
        <div className="field">
          <label htmlFor="content-publishAt-input">{t('form.publishAt')}</label>
          <input
            id="content-publishAt-input"
            type="datetime-local"
            value={publishAt}
            onChange={(e) => setPublishAt(e.target.value)}
            {...fieldProps('publishAt', true)}
          />
          <Help field="publishAt">{t('form.publishAtHelp', { zone: t('app.timezone', { zone: timeZone() }) })}</Help>
          <Problems field="publishAt" messages={problems('publishAt')} />
        </div>
        <details open={problems('reviewSla').length + problems('maxRounds').length > 0 || undefined}>
          <summary>{t('form.advanced')}</summary>
          <div className="field">
            <label htmlFor="content-reviewSla-input">{t('form.reviewSla')}</label>
            <input
              id="content-reviewSla-input"
              maxLength={20}
              value={reviewSla}
              onChange={(e) => setReviewSla(e.target.value)}
              {...fieldProps('reviewSla', true)}
            />
            <Help field="reviewSla">{t('form.reviewSlaHelp')}</Help>
            <Problems field="reviewSla" messages={problems('reviewSla')} />
          </div>
          <div className="field">
            <label htmlFor="content-maxRounds-input">{t('form.maxRounds')}</label>
            <input
              id="content-maxRounds-input"
              type="number"
              min={1}
              max={10}
              step={1}
              value={maxRounds}
              onChange={(e) => setMaxRounds(e.target.value)}
              {...fieldProps('maxRounds', true)}
            />
            <Help field="maxRounds">{t('form.maxRoundsHelp')}</Help>
            <Problems field="maxRounds" messages={problems('maxRounds')} />
          </div>
        </details>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={submit.isPending}>
            {t('form.submit')}
          </button>
        </div>
      </form>
    </section>
  );
}

function Help({ field, children }: { field: Field; children: ReactNode }) {
  return (
    <p id={`content-${field}-help`} className="muted help">
      {children}
    </p>
  );
}

function Problems({ field, messages }: { field: Field; messages: string[] }) {
  if (!messages.length) return null;
  return (
    <p id={`content-${field}-error`} className="field-error">
      {messages.join('; ')}
    </p>
  );
}
