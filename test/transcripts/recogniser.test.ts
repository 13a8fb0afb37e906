/**
 * The recogniser's hard cases (SPEC §12, issue 16): negation and its scope, profanity without
 * false hits inside ordinary words, names and patronymics, the topic, the contact field, and
 * the lexicon as an input rather than words in code.
 */
import { describe, expect, it } from 'vitest';
import { CATALOGUES } from '../../machines/catalogue.js';
import type { Lexicon } from '../../machines/lexicon.js';
import { compiledLexicon, compileLexicon, LexiconError } from '../../src/transcripts/compile.js';
import { allowedByContext } from '../../src/transcripts/evaluation.js';
import { shippedNames } from '../../src/transcripts/names.js';
import { type Speaker, type Suggestion, suggest } from '../../src/transcripts/suggest.js';

const ALLOWED = allowedByContext();
const RU = CATALOGUES.ru.lexicon;

function ru(text: string, context: keyof typeof ALLOWED = 'conversation', speaker: Speaker = 'customer') {
  return suggest(text, { speaker, allowedEvents: ALLOWED[context], lexicon: RU, locale: 'ru' });
}
/** The suggestions that count (confidence >= 0.5), as types. */
function types(suggestions: Suggestion[]) {
  return suggestions.filter((s) => s.confidence >= 0.5).map((s) => s.type);
}

describe('negation and its scope', () => {
  it('"я не гражданин России" is a non-citizen, "я гражданин России" is not', () => {
    expect(types(ru('я не гражданин России'))).toEqual(['customer.non-citizen']);
    expect(types(ru('я гражданин России'))).toEqual([]);
    expect(types(ru('ну я гражданка россии конечно'))).toEqual([]);
    expect(types(ru('я не являюсь гражданином рф'))).toEqual(['customer.non-citizen']);
  });

  it('a negation before a word cancels it; across a clause boundary it does not', () => {
    expect(types(ru('я иностранец'))).toEqual(['customer.non-citizen']);
    expect(types(ru('я не иностранец'))).toEqual([]);
    expect(types(ru('я не очень иностранец'))).toEqual([]);
    expect(types(ru('я не знаю но я иностранец'))).toEqual(['customer.non-citizen']);
  });

  it('"карточки нет" is no card, "карточка была" is not', () => {
    expect(types(ru('карточки нет'))).toEqual(['customer.no-card']);
    expect(types(ru('в газете нет никакой карточки'))).toEqual(['customer.no-card']);
    expect(types(ru('карточка была'))).toEqual([]);
    expect(types(ru('карточка была а телефона нет'))).not.toContain('customer.no-card');
    expect(types(ru('у меня нет банковской карты'))).toEqual([]);
  });

  it('a negation inside the match cancels it too ("теперь не слышу" is no restored connection)', () => {
    expect(types(ru('теперь слышу', 'connection'))).toEqual(['connection.restored']);
    expect(types(ru('теперь не слышу', 'connection'))).toEqual(['customer.cannot-hear']);
  });

  it('"почему бы и нет" accepts the offer and "да нет" declines it', () => {
    expect(types(ru('почему бы и нет', 'offer'))).toEqual(['offer.accepted']);
    expect(types(ru('да нет не нужно', 'offer'))).toEqual(['offer.declined']);
    expect(types(ru('не интересно', 'offer'))).toEqual(['offer.declined']);
    expect(types(ru('неинтересно', 'offer'))).toEqual(['offer.declined']);
  });
});

describe('spoken and recognised forms (the shipped lexicon)', () => {
  it('a negation written together with its verb is read apart ("недам", "неслышу")', () => {
    expect(ru('телефон недам')).toMatchObject([{ type: 'customer.contact-refused', data: { field: 'phone' } }]);
    expect(types(ru('неслышу вас совсем'))).toEqual(['customer.cannot-hear']);
  });

  it('"так и не" keeps its negation in the clause; citizenship received is no case, not received is one', () => {
    expect(types(ru('я расстроена карточку так и не нашла'))).toEqual(['customer.no-card']);
    expect(types(ru('я приехал из казахстана давно гражданство получил'))).toEqual([]);
    expect(types(ru('гражданство россии так и не получил'))).toEqual(['customer.non-citizen']);
  });

  it("someone else's hearing, a relative's past entry, a relative's phone number are no situation", () => {
    expect(types(ru('муж у меня плохо слышит поэтому я звоню'))).toEqual([]);
    expect(types(ru('брат уже участвовал в прошлом году'))).toEqual([]);
    expect(types(ru('запишите телефон мамы на всякий случай'))).toEqual([]);
    expect(types(ru('впишите пожалуйста мою тётю'))).toEqual(['customer.third-party']);
  });

  it('ordinary talk near the new patterns gives nothing', () => {
    for (const line of [
      'я хочу участвовать в акции о призах',
      'вы находитесь на линии со мной',
      'телефон не нужно менять',
      'у вас есть мой адрес или продиктовать',
      'ещё раз спасибо вам',
      'дочка ты меня зарегистрируй',
      'сынок запиши меня пожалуйста',
    ])
      expect(types(ru(line, 'answered')), line).toEqual([]);
    expect(types(ru('почта не нужна'))).toEqual(['customer.contact-refused']);
    expect(types(ru('доченька запишите маму мою'))).toEqual(['customer.third-party']);
  });

  it('a patronymic named after "отчество" joins the first name', () => {
    expect(ru('моё имя сергей отчество викторович')).toMatchObject([
      { type: 'customer.identified', data: { firstName: 'Сергей', patronymic: 'Викторович' } },
    ]);
  });
});

describe('profanity', () => {
  const ORDINARY = [
    'рубля',
    'употреблять',
    'оскорблять',
    'корабль',
    'корабля',
    'хлеба',
    'хлебать',
    'себя',
    'тебя',
    'ребята',
    'небо',
    'потребовали',
    'колебалась',
    'учеба',
    'веб сайт',
    'хуже',
    'хулиган',
    'застрахуйте',
    'херсон',
    'сравнить',
    'мудрый',
    'мандарин',
    'говорить',
    'бляха ремня',
    'блин',
    'капец',
    'офигеть',
    'нафиг',
  ];
  const OBSCENE = [
    'блять',
    'бля',
    'пиздец',
    'распиздяи',
    'заебали',
    'ебаный',
    'ёб твою мать',
    'нахуй',
    'охуели',
    'ни хуя себе',
    'долбоебы',
    'выебываться',
    'сука',
    'п***ц',
  ];

  it.each(ORDINARY)('"%s" is no profanity', (word) => {
    expect(types(ru(`ну ${word} вот`))).not.toContain('customer.profanity');
  });

  it.each(OBSCENE)('"%s" is profanity, with the word as evidence', (word) => {
    const found = ru(`да ${word} вы там`).find((s) => s.type === 'customer.profanity');
    expect(found?.confidence).toBeGreaterThanOrEqual(0.9);
    expect(word.split(' ').some((w) => found!.evidence.includes(w))).toBe(true);
  });

  it('an insult that is no obscenity is shown weakly, below the counted confidence', () => {
    const found = ru('вы там идиоты что ли').find((s) => s.type === 'customer.profanity');
    expect(found?.confidence).toBeLessThan(0.5);
  });
});

describe('names', () => {
  it('"меня зовут Анна Сергеевна" gives the first name and the patronymic', () => {
    const [top] = ru('меня зовут Анна Сергеевна');
    expect(top).toMatchObject({ type: 'customer.identified', data: { firstName: 'Анна', patronymic: 'Сергеевна' } });
    expect(top!.evidence).toEqual(['меня', 'зовут', 'Анна', 'Сергеевна']);
  });

  it.each([
    ['ну меня наташей зовут', { firstName: 'Наташа' }],
    ['иванов сергей николаевич', { firstName: 'Сергей', patronymic: 'Николаевич' }],
    ['это михаил ильич беспокоит', { firstName: 'Михаил', patronymic: 'Ильич' }],
    ['записывайте людмила фёдоровна', { firstName: 'Людмила', patronymic: 'Фёдоровна' }],
    ['я татьяна ивановна из твери', { firstName: 'Татьяна', patronymic: 'Ивановна' }],
    ['галина петровна я', { firstName: 'Галина', patronymic: 'Петровна' }],
    ['меня зовут Айсылу Рашитовна', { firstName: 'Айсылу', patronymic: 'Рашитовна' }],
  ])('"%s"', (text, data) => {
    expect(ru(text).find((s) => s.type === 'customer.identified')?.data).toEqual(data);
  });

  it('a name not in the list is taken after "меня зовут" only, less surely', () => {
    const known = ru('меня зовут Анна').find((s) => s.type === 'customer.identified')!;
    const unknown = ru('меня зовут Айсылу').find((s) => s.type === 'customer.identified')!;
    expect(unknown.data).toEqual({ firstName: 'Айсылу' });
    expect(unknown.confidence).toBeLessThan(known.confidence);
    expect(ru('это Айсылу').some((s) => s.type === 'customer.identified')).toBe(false);
  });

  it("someone else's name is not the customer's", () => {
    expect(types(ru('анна сергеевна моя мама'))).toEqual([]);
    expect(types(ru('моя мама анна петровна тоже звонила'))).toEqual([]);
    expect(types(ru('я звоню по поводу анны петровны'))).toEqual([]);
  });
});

describe('topic of an unknown-topic question', () => {
  it('is the asked-about thing, not the whole sentence', () => {
    const found = ru('мне пришла какая-то новая рассылка про кофеварку что это такое').find(
      (s) => s.type === 'customer.unknown-topic',
    );
    expect(found?.data).toEqual({ topic: 'новая рассылка про кофеварку' });
  });

  it('is at most 500 characters, whatever the line', () => {
    const long = `что за новая рассылка ${'оченьдлинноеслово '.repeat(150)}`.slice(0, 2000);
    const found = ru(long).find((s) => s.type === 'customer.unknown-topic')!;
    expect(found.data!.topic!.length).toBeLessThanOrEqual(500);
    expect(found.data!.topic!.startsWith('новая рассылка')).toBe(true);
  });

  it('the main promotion is no unknown topic', () => {
    expect(types(ru('я хочу участвовать в акции'))).toEqual([]);
    expect(types(ru('я по рекламе звоню'))).toEqual([]);
  });
});

describe('contact refusal', () => {
  it.each([
    ['телефон не хочу давать', 'phone'],
    ['давайте без телефона', 'phone'],
    ['я не буду называть свой номер', 'phone'],
    ['почту не дам', 'email'],
    ['емейл не готова сообщить', 'email'],
    ['электронной почты у меня нету', 'email'],
  ])('"%s" refuses the %s', (text, field) => {
    expect(ru(text).find((s) => s.type === 'customer.contact-refused')?.data).toEqual({ field });
  });

  it('both fields refused at once are two suggestions', () => {
    const fields = ru('ни телефон ни почту я вам не дам')
      .filter((s) => s.type === 'customer.contact-refused')
      .map((s) => s.data?.field)
      .sort();
    expect(fields).toEqual(['email', 'phone']);
  });

  it('giving the contact, or another number, is no refusal', () => {
    expect(types(ru('телефон мой восемь девятьсот шестнадцать'))).toEqual([]);
    expect(types(ru('номер газеты не помню'))).toEqual([]);
    expect(types(ru('давайте я продиктую почту'))).toEqual([]);
  });
});

describe('what is offered', () => {
  it('only events allowed now: an offer answer only while the offer is pending, a repeat only after an answer', () => {
    expect(types(ru('да давайте', 'conversation'))).toEqual([]);
    expect(types(ru('да давайте', 'offer'))).toEqual(['offer.accepted']);
    expect(types(ru('повторите пожалуйста', 'conversation'))).toEqual([]);
    expect(types(ru('повторите пожалуйста', 'answered'))).toEqual(['customer.repeat-request']);
  });

  it('on hold any customer line is customer.speech, surely and first', () => {
    const [top, ...rest] = ru('ну долго ещё', 'hold');
    expect(top).toEqual({ type: 'customer.speech', confidence: 1, evidence: [] });
    expect(rest).toEqual([]);
    expect(types(ru('меня зовут нина павловна', 'hold'))).toEqual(['customer.speech', 'customer.identified']);
  });

  it("the operator's lines give no customer situation", () => {
    expect(ru('оставайтесь на линии, я уточню информацию', 'hold', 'operator')).toEqual([]);
    expect(ru('вас не слышно', 'conversation', 'operator')).toEqual([]);
  });

  it('suggestions are ranked, with confidence in [0, 1] and evidence from the line', () => {
    const all = ru('блять я не гражданин россии и карточки в газете не было');
    expect(types(all).sort()).toEqual(['customer.no-card', 'customer.non-citizen', 'customer.profanity']);
    for (let i = 1; i < all.length; i++) expect(all[i - 1]!.confidence).toBeGreaterThanOrEqual(all[i]!.confidence);
    for (const s of all) {
      expect(s.confidence).toBeGreaterThan(0);
      expect(s.confidence).toBeLessThanOrEqual(1);
      for (const word of s.evidence) expect('блять я не гражданин россии и карточки в газете не было').toContain(word);
    }
  });

  it('a short word is compared whole, not by a stem it shares with another ("нее" and "не")', () => {
    expect(types(ru('я не поняла как участвовать'))).toEqual([]);
    expect(types(ru('хочу за нее зарегистрироваться'))).toEqual(['customer.third-party']);
  });

  it('an empty or wordless line suggests nothing', () => {
    expect(ru('')).toEqual([]);
    expect(ru('... ?!')).toEqual([]);
  });
});

describe('the lexicon is an input', () => {
  function lexiconWith(events: Lexicon['events']): Lexicon {
    return { ...RU, events };
  }

  it("a client's own words are recognised, and nothing of the shipped lexicon is used instead", () => {
    const lexicon = lexiconWith({ 'customer.no-card': { patterns: ['вкладыш* & пуст*'] } });
    const options = { speaker: 'customer' as const, allowedEvents: ALLOWED.conversation, lexicon, locale: 'ru' };
    expect(types(suggest('а вкладыш какой-то пустой', options))).toEqual(['customer.no-card']);
    expect(types(suggest('пустой у вас этот вкладыш', options))).toEqual(['customer.no-card']);
    expect(types(suggest('карточки нет', options))).toEqual([]);
  });

  it('is compiled once per lexicon object', () => {
    const names = shippedNames('ru');
    expect(compiledLexicon(RU, 'ru', names)).toBe(compiledLexicon(RU, 'ru', names));
    const copy = structuredClone(RU);
    expect(compiledLexicon(copy, 'ru', names)).not.toBe(compiledLexicon(RU, 'ru', names));
  });

  it('the pattern language: "..", "&", "^ $" and "|"', () => {
    const lexicon = lexiconWith({
      'customer.location-question': { patterns: ['^ где $'] },
      'customer.no-card': { patterns: ['карточк* .. пропал*'] },
      'customer.prank': { patterns: ['морг & шутк*'] },
      'customer.third-party': { patterns: ['=тещу|=свекровь'] },
    });
    const t = (text: string) =>
      types(suggest(text, { speaker: 'customer', allowedEvents: ALLOWED.conversation, lexicon, locale: 'ru' }));
    expect(t('где')).toEqual(['customer.location-question']);
    expect(t('а где')).toEqual([]);
    expect(t('карточка у меня пропала')).toEqual(['customer.no-card']);
    expect(t('карточка у меня вроде как совсем пропала')).toEqual([]);
    expect(t('карточка но пропала')).toEqual([]);
    expect(t('шутка про морг')).toEqual(['customer.prank']);
    expect(t('тещу')).toEqual(['customer.third-party']);
    expect(t('теща')).toEqual([]);
  });

  it('a filler of several words is left out as a whole ("так и" in "так и не нашла"), its words alone are not', () => {
    const events: Lexicon['events'] = { 'customer.no-card': { patterns: ['карточк* .. не нашл*'] } };
    const t = (lexicon: Lexicon, text: string) =>
      types(suggest(text, { speaker: 'customer', allowedEvents: ALLOWED.conversation, lexicon, locale: 'ru' }));
    const plain = { ...RU, fillers: RU.fillers.filter((f) => f !== 'так и'), events };
    const phrased = { ...plain, fillers: [...plain.fillers, 'так и'] };
    // "и" ends a clause: without the phrase the gap cannot reach across it.
    expect(t(plain, 'карточку так и не нашла')).toEqual([]);
    expect(t(phrased, 'карточку так и не нашла')).toEqual(['customer.no-card']);
    expect(t(phrased, 'карточку я и не нашла')).toEqual([]);
  });

  it('an exception marked negatable does not hold when negated; an unmarked one holds regardless', () => {
    const lexicon = (negatable?: boolean) =>
      lexiconWith({
        'customer.non-citizen': {
          patterns: ['гражданств*'],
          unless: [negatable === undefined ? 'получил*' : { match: 'получил*', negatable }],
        },
      });
    const t = (l: Lexicon, text: string) =>
      types(suggest(text, { speaker: 'customer', allowedEvents: ALLOWED.conversation, lexicon: l, locale: 'ru' }));
    expect(t(lexicon(true), 'гражданство получил')).toEqual([]);
    expect(t(lexicon(true), 'гражданство не получил')).toEqual(['customer.non-citizen']);
    expect(t(lexicon(), 'гражданство не получил')).toEqual([]);
    expect(t(lexicon(false), 'гражданство не получил')).toEqual([]);
  });

  it('a match whose data says more about the same words wins over the one that says less', () => {
    const lexicon = lexiconWith({
      'customer.identified': { patterns: ['имя #name', '#name .. отчество #patronymic'] },
    });
    const got = suggest('мое имя сергей отчество викторович', {
      speaker: 'customer',
      allowedEvents: ALLOWED.conversation,
      lexicon,
      locale: 'ru',
    });
    expect(got.map((s) => s.data)).toEqual([{ firstName: 'Сергей', patronymic: 'Викторович' }]);
  });

  it.each([
    [{ 'customer.no-card': { patterns: ['@nosuchset'] } }, /customer\.no-card.*patterns\[0\].*unknown set/],
    [{ 'customer.no-card': { patterns: ['/([/'] } }, /bad regular expression/],
    [{ 'customer.no-card': { patterns: ['.. карточка'] } }, /".." must stand between two terms/],
    [{ 'customer.no-card': { patterns: ['{field}'] } }, /unknown slot/],
    [{ 'no.such-event': { patterns: ['слово'] } }, /not an event of the script/],
    [{ 'customer.no-card': { patterns: [] } }, /malformed/],
  ])('a wrong lexicon is an error naming the place: %j', (events, message) => {
    expect(() => compileLexicon(lexiconWith(events as Lexicon['events']), 'ru', shippedNames('ru'))).toThrow(
      LexiconError,
    );
    expect(() => compileLexicon(lexiconWith(events as Lexicon['events']), 'ru', shippedNames('ru'))).toThrow(message);
  });

  it('the English catalogue has a lexicon of its own', () => {
    const en = (text: string, context: keyof typeof ALLOWED = 'conversation') =>
      types(
        suggest(text, {
          speaker: 'customer',
          allowedEvents: ALLOWED[context],
          lexicon: CATALOGUES.en.lexicon,
          locale: 'en',
        }),
      );
    expect(en("I don't want to give my phone number")).toEqual(['customer.contact-refused']);
    expect(en("I'm not a Russian citizen")).toEqual(['customer.non-citizen']);
    expect(en('where are you located')).toEqual(['customer.location-question']);
    expect(en('Scunthorpe is lovely')).toEqual([]);
    expect(en('no thanks', 'offer')).toEqual(['offer.declined']);
  });
});
