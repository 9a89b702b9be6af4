// Two languages, remembered in localStorage; <html lang> follows the choice (screen readers, fonts, hyphenation).
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
  resources: { en: { translation: en }, 'zh-CN': { translation: zhCN } },
  interpolation: { escapeValue: false },
});
document.documentElement.lang = initial;
i18n.on('languageChanged', (lng) => {
  localStorage.setItem(STORAGE_KEY, lng);
  document.documentElement.lang = lng;
});

export default i18n;
