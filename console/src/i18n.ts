// Two languages, remembered in localStorage; <html lang> follows the choice (screen readers, fonts, hyphenation).
// The shell's messages are the default namespace; each area of the console brings its own namespace in its lazily
// loaded chunk (registerMessages), so its words do not weigh on the first load.
import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import { en } from './locales/en.ts';
import { zhCN } from './locales/zh-CN.ts';

export const LANGUAGES = { 'zh-CN': '简体中文', en: 'English' } as const;
export type Language = keyof typeof LANGUAGES;
const STORAGE_KEY = 'opsflow.language';

const isLanguage = (value: string | null): value is Language => value !== null && Object.hasOwn(LANGUAGES, value);
const saved = localStorage.getItem(STORAGE_KEY);
const initial: Language = isLanguage(saved) ? saved : navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';

void i18n.use(initReactI18next).init({
  lng: initial,
  fallbackLng: 'en',
  // An area's namespace falls back to the shell's words (app.loading, error.retry).
  fallbackNS: 'translation',
  resources: { en: { translation: en }, 'zh-CN': { translation: zhCN } },
  interpolation: { escapeValue: false },
});
document.documentElement.lang = initial;
i18n.on('languageChanged', (lng) => {
  localStorage.setItem(STORAGE_KEY, lng);
  document.documentElement.lang = lng;
});

/**
 * An area's messages under its own namespace: `useTranslation('<namespace>')`. The Chinese object is typed as the
 * English one (`const zhCN: typeof en`), so a missing translation fails the type-check.
 */
export function registerMessages<T extends object>(namespace: string, messages: { en: T; 'zh-CN': T }): void {
  for (const language of Object.keys(LANGUAGES) as Language[]) i18n.addResourceBundle(language, namespace, messages[language], true, true);
}

export default i18n;
