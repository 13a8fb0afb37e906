/**
 * The Russian phrases the API must return, written out by hand from the client's script
 * (docs/script/operator-script.ru.txt), not read from the catalogue: a changed or
 * mis-rendered catalogue entry makes the API tests fail.
 */
export const NAME = { firstName: 'Иван', patronymic: 'Петрович' };
export const ADDRESS = 'Иван Петрович';

/** Phrase tails after "И.О., " (lower-case start, as in the seed). */
export const TAILS = {
  'closing.offer-help': 'могу ли я вам еще чем-нибудь помочь?…Спасибо за звонок. Всего доброго!',
  'hold.start': 'оставайтесь, пожалуйста, на линии, я уточню информацию',
  'hold.check': 'пожалуйста, оставайтесь на линии. Я уточняю для Вас информацию',
  'hold.return': 'благодарю Вас за ожидание,…',
  'repeat.limit':
    'на данный момент это вся информация, которую я могу Вам сейчас предоставить по данному вопросу. Благодарим Вас за звонок. Всего доброго',
  'connection.cannot-hear': 'Вы меня слышите?',
  'connection.inaudible': 'к сожалению, Вас не слышно.',
  'profanity.warning': 'по правилам работы нашей Компании, мы не можем вести разговор в подобном тоне',
  'profanity.termination': 'по правилам нашей Компании мы не можем продолжать разговор в подобном тоне. Всего доброго',
  'info.location':
    'Вы сейчас обратились на сервисную линию Компании в Москву. Информацию о точном месте расположения (улица, номер дома) мы не предоставляем',
  'info.unknown-topic':
    'это наше новое предложение. К сожалению, по нему у нас пока нет информации. Мы уточним этот вопрос, пжл., перезвоните через 2 дня',
  'offer.mail-order':
    'к сожалению, принимать участие в акции могут только граждане Российской Федерации. Компания готова Вам предложить иной вариант сотрудничества, это возможность приобретения товаров по почте. Вам интересно это предложение?',
  'reassure.skip-contact':
    'давайте пропустим данный параметр. При последующем обращении Вы сможете назвать недостающие данные',
} as const;

/** Phrases without an address: the same with or without a name. */
export const FIXED = {
  greeting: 'Добрый день! Сервисная линия Компании. Чем я могу Вам помочь?',
  'prank.warning': 'Ваш звонок может быть расценен как хулиганский, что влечет за собой Уголовное наказание',
  'connection.call-back': 'Перезвоните, пжл., возможно качество связи улучшится. Спасибо за звонок, всего доброго',
  'reassure.no-card': 'Не волнуйтесь, принять участие в наших акциях может любой желающий житель России',
  'registration.third-party':
    'По правилам нашей компании регистрация 3 лица невозможна. Передайте трубку тому, кого регистрируете, либо зарегистрируйтесь сами',
} as const;

export type AddressedKey = keyof typeof TAILS;

/** "Иван Петрович, оставайтесь, …" */
export function named(key: AddressedKey, address = ADDRESS): string {
  return `${address}, ${TAILS[key]}`;
}

/** No name yet: the address is dropped and the next word capitalised. */
export function anonymous(key: AddressedKey): string {
  const tail: string = TAILS[key];
  return tail.charAt(0).toUpperCase() + tail.slice(1);
}

export const GREETING_EN = "Good afternoon! You have reached the Company's service line. How can I help you?";
