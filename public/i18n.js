// @ts-check
/**
 * The page's own words (headings, field names, hints) in both UI languages. The client's
 * phrases and the situation labels are not here: they come from GET /v1/script.
 */

/** @type {Record<string, Record<string, string>>} */
const STRINGS = {
  ru: {
    'app.title': 'callflow — пульт оператора',
    'tab.console': 'Пульт оператора',
    'tab.inspector': 'Схема сценария',
    'token.button': 'Токен доступа',
    'token.title': 'Токен доступа к API',
    'token.hint': 'Сервис требует токен. Вставьте его: он хранится только в этой вкладке браузера.',
    'token.save': 'Сохранить',
    'token.clear': 'Забыть токен',
    'token.placeholder': 'токен',
    'stream.live': 'онлайн',
    'stream.connecting': 'подключение…',
    'stream.offline': 'нет связи',
    'newCall.title': 'Новый звонок',
    'newCall.callId': 'ID звонка',
    'newCall.firstName': 'Имя',
    'newCall.patronymic': 'Отчество',
    'newCall.locale': 'Язык фраз',
    'newCall.submit': 'Начать звонок',
    'calls.title': 'Активные звонки',
    'calls.empty': 'Активных звонков нет',
    'calls.refresh': 'Обновить',
    'call.none': 'Выберите звонок слева или начните новый.',
    'call.nameUnknown': 'имя не известно',
    'call.status.active': 'идёт',
    'call.status.ended': 'завершён',
    'call.say': 'Скажите клиенту',
    'call.nothingToSay': 'Новой фразы нет — продолжайте разговор.',
    'call.situations': 'Ситуации',
    'call.noSituations': 'Звонок завершён: действий больше нет.',
    'call.counters': 'Счётчики',
    'transcript.title': 'Слова клиента',
    'transcript.placeholder': 'Вставьте или наберите реплику клиента; Enter — прочитать',
    'transcript.send': 'Прочитать',
    'transcript.hint': 'Enter (в пустом поле или вне полей) — принять верхнюю подсказку',
    'transcript.none': 'Подсказок нет',
    'transcript.accept': 'Принять',
    'transcript.acceptTop': 'Принять (Enter)',
    'transcript.applied': 'применено сразу',
    'counter.repeats': 'Повторы ответа',
    'counter.connectionAttempts': 'Попытки связи',
    'counter.warnings': 'Предупреждения',
    'call.holdCheck': 'Проверка удержания через',
    'call.holdCheckDue': 'Проверка удержания: пора',
    'call.history': 'Ход звонка',
    'call.historyEmpty': 'Событий пока нет.',
    'call.historyHint': 'Щёлкните событие, чтобы увидеть состояние на схеме.',
    'call.skipped': 'Пропущено',
    'call.endReason': 'Причина завершения',
    'history.timer': 'Проверка удержания',
    'history.timerBadge': 'таймер',
    'history.created': 'Звонок начат',
    'form.send': 'Отправить',
    'form.cancel': 'Отмена',
    'form.none': '—',
    'field.firstName': 'Имя',
    'field.patronymic': 'Отчество',
    'field.topic': 'Тема вопроса',
    'field.field': 'Какие данные',
    'field.by': 'Кто завершил',
    'value.phone': 'телефон',
    'value.email': 'e-mail',
    'value.customer': 'клиент',
    'value.operator': 'оператор',
    'value.network': 'сеть',
    'action.supervisor.escalation': 'Вопрос передан супервайзеру',
    'end.completed': 'разговор завершён',
    'end.repeat-limit': 'исчерпан лимит повторов',
    'end.connection-lost': 'потеряна связь',
    'end.profanity': 'ненормативная лексика',
    'end.offer-declined': 'предложение отклонено',
    'end.hangup': 'звонок положен',
    'inspector.call': 'Звонок',
    'inspector.live': 'Текущее состояние',
    'inspector.pinned': 'Состояние после события',
    'inspector.backToLive': 'Вернуться к текущему',
    'inspector.noCall': 'Звонок не выбран: показана схема без состояния.',
    'inspector.loading': 'Строю схему…',
    'inspector.fit': 'По ширине',
    'inspector.actual': '100 %',
    'legend.active': 'активное состояние',
    'legend.taken': 'последний переход',
    'legend.region': 'параллельная область',
    'error.title': 'Ошибка',
    'error.network': 'Сервис недоступен',
    'error.dismiss': 'Закрыть',
    'shortcuts.hint': 'Клавиши: буква на кнопке; Esc — закрыть форму.',
    'locale.ru': 'RU',
    'locale.en': 'EN',
  },
  en: {
    'app.title': 'callflow — operator console',
    'tab.console': 'Operator console',
    'tab.inspector': 'Flow inspector',
    'token.button': 'Access token',
    'token.title': 'API access token',
    'token.hint': 'The service needs a token. Paste it here: it is kept in this browser tab only.',
    'token.save': 'Save',
    'token.clear': 'Forget token',
    'token.placeholder': 'token',
    'stream.live': 'live',
    'stream.connecting': 'connecting…',
    'stream.offline': 'offline',
    'newCall.title': 'New call',
    'newCall.callId': 'Call ID',
    'newCall.firstName': 'First name',
    'newCall.patronymic': 'Patronymic',
    'newCall.locale': 'Phrase language',
    'newCall.submit': 'Start call',
    'calls.title': 'Active calls',
    'calls.empty': 'No active calls',
    'calls.refresh': 'Refresh',
    'call.none': 'Choose a call on the left or start a new one.',
    'call.nameUnknown': 'name not known yet',
    'call.status.active': 'active',
    'call.status.ended': 'ended',
    'call.say': 'Say to the customer',
    'call.nothingToSay': 'No new phrase: carry on with the conversation.',
    'call.situations': 'Situations',
    'call.noSituations': 'The call has ended: nothing more to do.',
    'call.counters': 'Counters',
    'transcript.title': "The customer's words",
    'transcript.placeholder': "Paste or type the customer's line; Enter reads it",
    'transcript.send': 'Read',
    'transcript.hint': 'Enter (in the empty box or outside any field) accepts the top suggestion',
    'transcript.none': 'No suggestion',
    'transcript.accept': 'Accept',
    'transcript.acceptTop': 'Accept (Enter)',
    'transcript.applied': 'applied at once',
    'counter.repeats': 'Answer repeats',
    'counter.connectionAttempts': 'Connection attempts',
    'counter.warnings': 'Warnings',
    'call.holdCheck': 'Hold check in',
    'call.holdCheckDue': 'Hold check: due now',
    'call.history': 'Call timeline',
    'call.historyEmpty': 'No events yet.',
    'call.historyHint': 'Click an event to see its state in the flow.',
    'call.skipped': 'Skipped',
    'call.endReason': 'End reason',
    'history.timer': 'Hold check',
    'history.timerBadge': 'timer',
    'history.created': 'Call started',
    'form.send': 'Send',
    'form.cancel': 'Cancel',
    'form.none': '—',
    'field.firstName': 'First name',
    'field.patronymic': 'Patronymic',
    'field.topic': 'Topic',
    'field.field': 'Which detail',
    'field.by': 'Ended by',
    'value.phone': 'phone',
    'value.email': 'e-mail',
    'value.customer': 'customer',
    'value.operator': 'operator',
    'value.network': 'network',
    'action.supervisor.escalation': 'Question passed to a supervisor',
    'end.completed': 'completed',
    'end.repeat-limit': 'repeat limit reached',
    'end.connection-lost': 'connection lost',
    'end.profanity': 'profanity',
    'end.offer-declined': 'offer declined',
    'end.hangup': 'hung up',
    'inspector.call': 'Call',
    'inspector.live': 'Live state',
    'inspector.pinned': 'State after event',
    'inspector.backToLive': 'Back to live',
    'inspector.noCall': 'No call chosen: the flow is shown without a state.',
    'inspector.loading': 'Laying out the flow…',
    'inspector.fit': 'Fit width',
    'inspector.actual': '100 %',
    'legend.active': 'active state',
    'legend.taken': 'last transition',
    'legend.region': 'parallel region',
    'error.title': 'Error',
    'error.network': 'The service cannot be reached',
    'error.dismiss': 'Dismiss',
    'shortcuts.hint': 'Keys: the letter on a button; Esc closes a form.',
    'locale.ru': 'RU',
    'locale.en': 'EN',
  },
};

export const UI_LOCALES = Object.keys(STRINGS);

let current = 'ru';

/** @param {string} locale */
export function setUiLocale(locale) {
  current = STRINGS[locale] ? locale : 'ru';
  document.documentElement.lang = current;
}

export function uiLocale() {
  return current;
}

/** A UI string; a missing key falls back to the other language, then to the key itself. */
/** @param {string} key */
export function t(key) {
  return STRINGS[current]?.[key] ?? STRINGS.ru?.[key] ?? key;
}

/** Fills every element carrying data-i18n (text) or data-i18n-placeholder / -title / -aria-label. */
/** @param {ParentNode} [root] */
export function translatePage(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) {
    if (el instanceof HTMLElement) el.textContent = t(el.dataset.i18n ?? '');
  }
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) {
    if (el instanceof HTMLInputElement) el.placeholder = t(el.dataset.i18nPlaceholder ?? '');
  }
  for (const el of root.querySelectorAll('[data-i18n-title]')) {
    if (el instanceof HTMLElement) el.title = t(el.dataset.i18nTitle ?? '');
  }
  for (const el of root.querySelectorAll('[data-i18n-aria-label]')) {
    if (el instanceof HTMLElement) el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel ?? ''));
  }
  document.title = t('app.title');
}
