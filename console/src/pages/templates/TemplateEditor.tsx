// The editor of one message in one locale: the parts an operator writes, the fields the message offers (a click
// inserts one where the cursor was), a live preview of the unsaved text for a chosen customer or the sample, beside the
// message as it reads in another locale, a test send to the operator's own address, and saving, which sends the
// version to a reviewer. A refused save names each part's problem beside it and keeps the input.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type Session } from '../../api/client.ts';
import { ErrorNote, Loading, usePageTitle } from '../../components/page.tsx';
import { Link, useSearchParams } from '../../router.tsx';
import { CustomerPicker, type PickedCustomer } from './CustomerPicker.tsx';
import { RenderedMail } from './parts.tsx';
import {
  canWrite,
  draftOf,
  FieldRefusal,
  getTemplates,
  getVersion,
  keys,
  liveVersion,
  localeName,
  sourceOf,
  unwrapWithFields,
  type Draft,
  type MessageKey,
  type Part,
  type RenderBody,
  type TemplateList,
  type Version,
} from './templates-api.ts';

/** Where the editor starts: a version asked for (?from=), else the live one, else the default locale's live text. */
async function startingPoint(
  key: MessageKey,
  locale: string,
  from: string | null,
  list: TemplateList,
): Promise<{ base: Version | null; borrowed: boolean }> {
  if (from) return { base: await getVersion(from), borrowed: false };
  const own = await liveVersion(key, locale, list);
  if (own) return { base: own, borrowed: false };
  const fallback = await liveVersion(key, list.defaultLocale, list);
  return { base: fallback, borrowed: fallback !== null };
}

export function TemplateEditor({ session, messageKey, locale }: { session: Session; messageKey: MessageKey; locale: string }) {
  const { t, i18n } = useTranslation('templates');
  const name = t(`messages.${messageKey}.name`);
  usePageTitle(t('editor.title', { message: name, locale: localeName(locale, i18n.language) }));
  const [params] = useSearchParams();
  const from = params.get('from');
  const list = useQuery({ queryKey: keys.list, queryFn: getTemplates });
  const start = useQuery({
    queryKey: ['templates', 'start', messageKey, locale, from],
    queryFn: () => startingPoint(messageKey, locale, from, list.data!),
    enabled: list.data !== undefined,
    // The draft is the operator's from here on: no refetch replaces it.
    staleTime: Infinity,
    refetchOnWindowFocus: false,
  });

  return (
    <section aria-labelledby="editor-title" className="templates-editor-page">
      <p className="templates-crumbs">
        <Link to="/">{t('title')}</Link>
      </p>
      <h1 id="editor-title">{t('editor.title', { message: name, locale: localeName(locale, i18n.language) })}</h1>
      <p className="templates-crumbs">
        <span className="muted">{locale}</span>
        {' · '}
        <Link to={`/${messageKey}/${locale}/history`}>{t('editor.history')}</Link>
      </p>
      <ErrorNote error={list.error ?? start.error} />
      {(list.isPending || (list.data && start.isPending)) && <Loading />}
      {list.data && start.data && (
        <EditorForm
          key={`${start.data.base?.id ?? 'empty'}`}
          session={session}
          messageKey={messageKey}
          locale={locale}
          list={list.data}
          base={start.data.base}
          borrowed={start.data.borrowed}
        />
      )}
    </section>
  );
}

/** Dotted paths that are values (customer.name), not groups (customer). */
const leaves = (paths: string[]) => paths.filter((p) => !paths.some((other) => other.startsWith(`${p}.`)));

function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

type Box = HTMLInputElement | HTMLTextAreaElement;

function EditorForm({
  session,
  messageKey,
  locale,
  list,
  base,
  borrowed,
}: {
  session: Session;
  messageKey: MessageKey;
  locale: string;
  list: TemplateList;
  base: Version | null;
  borrowed: boolean;
}) {
  const { t, i18n } = useTranslation('templates');
  const queryClient = useQueryClient();
  const writer = canWrite(session);
  const [draft, setDraft] = useState<Draft>(() => draftOf(base));
  const [customer, setCustomer] = useState<PickedCustomer | null>(null);
  const boxes = useRef<Partial<Record<Part, Box | null>>>({});
  const lastPart = useRef<Part>('html');
  const item = list.items.find((i) => i.key === messageKey)!;
  const fields = leaves(item.fields);
  const others = item.locales.map((l) => l.locale).filter((l) => l !== locale);
  const [compareWith, setCompareWith] = useState<string>(others[0] ?? '');

  const set = (part: keyof Draft, value: string) => setDraft((d) => ({ ...d, [part]: value }));

  /** `{{ field }}` where the cursor was in the part last edited (the HTML body at first). */
  const insert = (path: string) => {
    const part = lastPart.current;
    const box = boxes.current[part];
    const snippet = `{{ ${path} }}`;
    const value = draft[part];
    const startAt = box?.selectionStart ?? value.length;
    const endAt = box?.selectionEnd ?? value.length;
    set(part, value.slice(0, startAt) + snippet + value.slice(endAt));
    requestAnimationFrame(() => {
      box?.focus();
      box?.setSelectionRange(startAt + snippet.length, startAt + snippet.length);
    });
  };

  // The preview follows the typing, half a second behind; a refusal (a broken expression) keeps the last good one. A
  // refusal is not asked again; a failure of the server or the network is, twice, as every query is (main.tsx).
  const render: RenderBody = { locale, source: sourceOf(draft), ...(customer ? { customerId: customer.id } : {}) };
  // Compared as text: a new object with the same words is no new preview.
  const settled = JSON.parse(useDebounced(JSON.stringify(render), 500)) as RenderBody;
  const preview = useQuery({
    queryKey: ['templates', 'preview', messageKey, settled],
    queryFn: async () =>
      unwrapWithFields(await api.POST('/templates/{key}/preview', { params: { path: { key: messageKey } }, body: settled })),
    placeholderData: keepPreviousData,
    refetchOnWindowFocus: false,
  });
  // A failed query has no data (the placeholder lasts only while it is pending): the last preview that rendered stays,
  // marked stale, while a refusal or an outage stands in for the current one.
  const [lastPreview, setLastPreview] = useState(preview.data);
  useEffect(() => {
    if (preview.data) setLastPreview(preview.data);
  }, [preview.data]);
  const shownPreview = preview.data ?? lastPreview;
  const other = useQuery({
    queryKey: ['templates', 'preview', messageKey, 'live', compareWith, customer?.id ?? null],
    queryFn: async () =>
      unwrapWithFields(
        await api.POST('/templates/{key}/preview', {
          params: { path: { key: messageKey } },
          body: { locale: compareWith, ...(customer ? { customerId: customer.id } : {}) },
        }),
      ),
    enabled: compareWith !== '',
    refetchOnWindowFocus: false,
  });

  const save = useMutation({
    mutationFn: async () =>
      unwrapWithFields(
        await api.POST('/templates/{key}/{locale}/versions', {
          params: { path: { key: messageKey, locale } },
          body: { ...sourceOf(draft), note: draft.note.trim() || null },
        }),
      ),
    onSuccess: () =>
      void queryClient.invalidateQueries({
        queryKey: keys.all,
        predicate: (q) => q.queryKey[1] !== 'start' && q.queryKey[1] !== 'preview',
      }),
  });
  const testSend = useMutation({
    mutationFn: async () =>
      unwrapWithFields(await api.POST('/templates/{key}/test-send', { params: { path: { key: messageKey } }, body: render })),
  });

  const refusal = save.error instanceof FieldRefusal ? save.error : null;
  const problems = (part: string) => refusal?.fields[part] ?? [];
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };

  const box = (part: Part, label: string, opts: { multiline?: boolean; rows?: number; help?: string; max: number }) => {
    const id = `template-${part}`;
    const errs = problems(part);
    const described = [opts.help ? `${id}-help` : '', errs.length ? `${id}-problems` : ''].filter(Boolean).join(' ') || undefined;
    const common = {
      id,
      value: draft[part],
      maxLength: opts.max,
      'aria-invalid': errs.length ? true : undefined,
      'aria-describedby': described,
      onFocus: () => {
        lastPart.current = part;
      },
      spellCheck: false,
    };
    return (
      <div className="templates-field">
        <label htmlFor={id}>{label}</label>
        {opts.multiline ? (
          <textarea
            {...common}
            rows={opts.rows ?? 6}
            ref={(el) => {
              boxes.current[part] = el;
            }}
            onChange={(e) => set(part, e.target.value)}
          />
        ) : (
          <input
            {...common}
            ref={(el) => {
              boxes.current[part] = el;
            }}
            onChange={(e) => set(part, e.target.value)}
          />
        )}
        {opts.help && (
          <p id={`${id}-help`} className="muted templates-help">
            {opts.help}
          </p>
        )}
        {errs.length > 0 && (
          <ul id={`${id}-problems`} className="templates-field-error">
            {errs.map((m, i) => (
              <li key={i}>{m}</li>
            ))}
          </ul>
        )}
      </div>
    );
  };

  const previewRefusal = preview.error instanceof FieldRefusal ? preview.error : null;
  return (
    <div className="templates-editor">
      <form className="templates-form" onSubmit={submit} aria-labelledby="editor-form-title">
        <h2 id="editor-form-title">{t('editor.write')}</h2>
        <p className="muted">
          {base === null
            ? t('editor.fromNothing')
            : borrowed
              ? t('editor.borrowed', { locale: localeName(base.locale, i18n.language), n: base.version })
              : base.live
                ? t('editor.fromLive', { n: base.version })
                : t('editor.fromVersion', { n: base.version })}
        </p>
        {box('senderName', t('parts.senderName'), { max: 200, help: t('editor.help.senderName') })}
        {box('subject', t('parts.subject'), { max: 500 })}
        {box('preheader', t('parts.preheader'), { max: 500, help: t('editor.help.preheader') })}
        {box('html', t('parts.html'), {
          multiline: true,
          rows: 14,
          max: 200_000,
          help: t('editor.help.html', { example: '{{ customer.firstName }}' }),
        })}
        {box('text', t('parts.text'), { multiline: true, rows: 6, max: 100_000, help: t('editor.help.text') })}

        <section className="templates-fields" aria-labelledby="fields-title">
          <h3 id="fields-title">{t('editor.fields')}</h3>
          <p className="muted templates-help">{t('editor.fieldsHelp')}</p>
          <ul>
            {fields.map((f) => (
              <li key={f}>
                <button type="button" className="templates-chip" aria-label={t('editor.insert', { field: f })} onClick={() => insert(f)}>
                  <code>{`{{ ${f} }}`}</code>
                </button>
              </li>
            ))}
          </ul>
          <p className="muted templates-help">{t('editor.filtersHelp')}</p>
        </section>

        {writer ? (
          <>
            <div className="templates-field">
              <label htmlFor="template-note">{t('editor.note')}</label>
              <textarea id="template-note" rows={2} maxLength={2000} value={draft.note} onChange={(e) => set('note', e.target.value)} />
            </div>
            {save.error && <ErrorNote error={refusal ? new Error(t('editor.refused', { reason: refusal.summary })) : save.error} />}
            {save.data && !save.isPending && (
              <p role="status" className="templates-ok">
                {t('editor.saved', { n: save.data.version })}{' '}
                <Link to={`/${messageKey}/${locale}/history?v=${save.data.version}`}>{t('editor.seeHistory')}</Link>
              </p>
            )}
            <div className="templates-buttons">
              <button type="submit" className="primary" disabled={save.isPending}>
                {t('editor.save')}
              </button>
            </div>
          </>
        ) : (
          <p className="muted">{t('editor.readOnly')}</p>
        )}
      </form>

      <section className="templates-preview" aria-labelledby="preview-title">
        <h2 id="preview-title">{t('preview.title')}</h2>
        <CustomerPicker value={customer} onChange={setCustomer} />
        <div className="templates-preview-pair">
          <div>
            <h3>{t('preview.draft', { locale: localeName(locale, i18n.language) })}</h3>
            {previewRefusal && (
              <div role="alert" className="error">
                <p>{t('preview.cannot')}</p>
                <ul>
                  {Object.entries(previewRefusal.fields).flatMap(([part, ms]) =>
                    ms.map((m, i) => (
                      <li key={`${part}${i}`}>
                        {t(`parts.${part}`, { defaultValue: part })}: {m}
                      </li>
                    )),
                  )}
                </ul>
                {Object.keys(previewRefusal.fields).length === 0 && <p>{previewRefusal.summary}</p>}
              </div>
            )}
            {preview.error && !previewRefusal && <ErrorNote error={preview.error} retry={() => void preview.refetch()} />}
            {preview.isPending && !preview.error && <Loading />}
            {shownPreview && (
              <div aria-busy={preview.isFetching} className={preview.error ? 'templates-stale' : undefined}>
                <RenderedMail rendered={shownPreview} title={t('preview.frameDraft', { locale: localeName(locale, i18n.language) })} />
              </div>
            )}
          </div>
          {others.length > 0 && (
            <div>
              <h3>{t('preview.live', { locale: localeName(compareWith, i18n.language) })}</h3>
              <label className="templates-compare">
                {t('preview.compareWith')}{' '}
                <select value={compareWith} onChange={(e) => setCompareWith(e.target.value)}>
                  {others.map((l) => (
                    <option key={l} value={l}>
                      {localeName(l, i18n.language)} ({l})
                    </option>
                  ))}
                </select>
              </label>
              <ErrorNote error={other.error} />
              {other.isPending && !other.error && <Loading />}
              {other.data && (
                <RenderedMail rendered={other.data} title={t('preview.frameLive', { locale: localeName(compareWith, i18n.language) })} />
              )}
            </div>
          )}
        </div>

        {writer && (
          <div className="templates-test-send">
            <h3>{t('testSend.title')}</h3>
            <p className="muted templates-help">{t('testSend.help')}</p>
            <button type="button" disabled={testSend.isPending} onClick={() => testSend.mutate()}>
              {t('testSend.button')}
            </button>
            <ErrorNote error={testSend.error} />
            {testSend.data && (
              <p role="status" className="templates-ok">
                {t('testSend.sent', { to: testSend.data.to, subject: `[TEST] ${testSend.data.subject}` })}
              </p>
            )}
          </div>
        )}
      </section>
    </div>
  );
}
