/**
 * SPEC §2, situation by situation: the prompt key, the Russian text the operator reads (with
 * and without the customer's name), the state and the counters after each seed situation.
 * Plus the frame around them: identification and hangup from every active state, the
 * interjections, the deep-history returns (also through persist/restore) and the side data.
 */
import { describe, expect, it } from 'vitest';
import type { CallEvent } from '../../machines/call.events.js';
import { renderPrompt } from '../../machines/catalogue.js';
import { CallDriver, conversation, GREETING, HOLD_TIMER_EVENT, IVAN, IVAN_EVENT, TALKING } from './helpers.js';

const ZERO = { repeats: 0, connectionAttempts: 0, warnings: 0 };

/** A call whose customer gave their name (the usual way: an event, not the start input). */
function namedCall(): CallDriver {
  const call = new CallDriver();
  call.send(IVAN_EVENT);
  return call;
}

describe('the frame: greeting', () => {
  it('a new call is in the greeting, says the greeting, knows no name and counts nothing', () => {
    const call = new CallDriver();
    expect(call.last.prompts).toEqual(['greeting']);
    expect(call.texts()).toEqual(['Добрый день! Сервисная линия Компании. Чем я могу Вам помочь?']);
    expect(call.state).toEqual(GREETING);
    expect(call.counters).toEqual(ZERO);
    expect(call.context.customer).toBeNull();
    expect(call.context.endReason).toBeNull();
    expect(call.snapshot.status).toBe('active');
  });

  it('a name given at the start is used in the first addressed phrase', () => {
    const call = new CallDriver(undefined, IVAN);
    expect(call.context.customer).toEqual(IVAN);
    call.send({ type: 'call.hold' });
    expect(call.texts()).toEqual(['Иван Петрович, оставайтесь, пожалуйста, на линии, я уточню информацию']);
  });
});

describe('SPEC §2 situations (seed table rows 1-15)', () => {
  it('#1 customer drags the call out: offer help, thank and close (completed)', () => {
    const call = namedCall();
    call.send({ type: 'answer.given' });
    const step = call.send({ type: 'customer.prolonging' });
    expect(step.prompts).toEqual(['closing.offer-help']);
    expect(call.texts()).toEqual([
      'Иван Петрович, могу ли я вам еще чем-нибудь помочь?…Спасибо за звонок. Всего доброго!',
    ]);
    expect(renderPrompt('closing.offer-help', call.context.customer).instruction).toMatch(/крайнем случае/);
    expect(call.state).toBe('ended');
    expect(call.snapshot.status).toBe('done');
    expect(call.context.endReason).toBe('completed');
    expect(call.counters).toEqual(ZERO);
  });

  it('#2 operator leaves to clarify information: hold with the phrase (and without a name)', () => {
    const call = namedCall();
    const step = call.send({ type: 'call.hold' });
    expect(step.prompts).toEqual(['hold.start']);
    expect(call.texts()).toEqual(['Иван Петрович, оставайтесь, пожалуйста, на линии, я уточню информацию']);
    expect(call.state).toBe('hold');
    expect(call.counters).toEqual(ZERO);
    expect(call.context.endReason).toBeNull();

    // No name yet: the address is dropped and the next word capitalised (SPEC §2's own example).
    const anonymous = new CallDriver();
    anonymous.send({ type: 'call.hold' });
    expect(anonymous.last.prompts).toEqual(['hold.start']);
    expect(anonymous.texts()).toEqual(['Оставайтесь, пожалуйста, на линии, я уточню информацию']);
  });

  it('#3 hold lasts 30 s or the customer keeps talking: hold.check, still on hold', () => {
    const call = namedCall();
    call.send({ type: 'call.hold' });

    const fired = call.send(HOLD_TIMER_EVENT);
    expect(fired.prompts).toEqual(['hold.check']);
    expect(call.texts()).toEqual(['Иван Петрович, пожалуйста, оставайтесь на линии. Я уточняю для Вас информацию']);
    expect(call.state).toBe('hold');
    expect(call.counters).toEqual(ZERO);

    const spoke = call.send({ type: 'customer.speech' });
    expect(spoke.prompts).toEqual(['hold.check']);
    expect(call.state).toBe('hold');

    const anonymous = new CallDriver();
    anonymous.sendAll({ type: 'call.hold' }, { type: 'customer.speech' });
    expect(anonymous.texts()).toEqual(['Пожалуйста, оставайтесь на линии. Я уточняю для Вас информацию']);
  });

  it('#4 returning from hold: thank for waiting, back in the conversation', () => {
    const call = namedCall();
    call.sendAll({ type: 'customer.prank' }, { type: 'call.hold' });
    const step = call.send({ type: 'call.unhold' });
    expect(step.prompts).toEqual(['hold.return']);
    expect(call.texts()).toEqual(['Иван Петрович, благодарю Вас за ожидание,…']);
    expect(renderPrompt('hold.return', IVAN).instruction).not.toBeNull();
    expect(call.state).toEqual(TALKING);
    expect(call.counters).toEqual(ZERO);
  });

  it('#5 full answer given, customer asks to repeat: repeat.answer, and repeat.limit (summarise) at the 4th', () => {
    const call = namedCall();
    expect(call.send({ type: 'answer.given' }).prompts).toEqual([]);
    expect(call.state).toEqual(conversation('talking', 'given', 'polite'));

    const step = call.send({ type: 'customer.repeat-request' });
    expect(step.prompts).toEqual(['repeat.answer']);
    expect(call.texts()).toEqual(['Иван Петрович, повторю ещё раз.']);
    expect(renderPrompt('repeat.answer', IVAN).instruction).toMatch(/полном объёме/);
    expect(call.state).toEqual(conversation('talking', 'given', 'polite'));
    expect(call.counters).toEqual({ ...ZERO, repeats: 1 });

    call.sendAll({ type: 'customer.repeat-request' }, { type: 'customer.repeat-request' });
    const limit = call.send({ type: 'customer.repeat-request' });
    expect(limit.prompts).toEqual(['repeat.limit']);
    expect(call.texts()).toEqual([
      'Иван Петрович, на данный момент это вся информация, которую я могу Вам сейчас предоставить по данному вопросу. Благодарим Вас за звонок. Всего доброго',
    ]);
    expect(renderPrompt('repeat.limit', IVAN).instruction).toMatch(/резюмируйте диалог/);
    expect(call.state).toBe('ended');
    expect(call.context.endReason).toBe('repeat-limit');
    expect(call.counters).toEqual({ ...ZERO, repeats: 4 });
  });

  it('#6 prank call: warning about criminal liability, the conversation goes on', () => {
    const call = namedCall();
    const step = call.send({ type: 'customer.prank' });
    expect(step.prompts).toEqual(['prank.warning']);
    expect(call.texts()).toEqual([
      'Ваш звонок может быть расценен как хулиганский, что влечет за собой Уголовное наказание',
    ]);
    expect(call.state).toEqual(TALKING);
    expect(call.counters).toEqual(ZERO);
    expect(call.context.endReason).toBeNull();
  });

  it('#7 customer cannot hear: "can you hear me?" in a connection episode; restored returns', () => {
    const call = namedCall();
    const step = call.send({ type: 'customer.cannot-hear' });
    expect(step.prompts).toEqual(['connection.cannot-hear']);
    expect(call.texts()).toEqual(['Иван Петрович, Вы меня слышите?']);
    expect(renderPrompt('connection.cannot-hear', IVAN).instruction).toMatch(/3 раз/);
    expect(call.state).toBe('connection');
    expect(call.counters).toEqual({ ...ZERO, connectionAttempts: 1 });

    const restored = call.send({ type: 'connection.restored' });
    expect(restored.prompts).toEqual([]);
    expect(call.state).toEqual(GREETING);
    expect(call.counters).toEqual(ZERO);

    call.sendAll({ type: 'customer.cannot-hear' }, { type: 'customer.cannot-hear' }, { type: 'customer.cannot-hear' });
    const back = call.send({ type: 'customer.cannot-hear' });
    expect(back.prompts).toEqual(['connection.call-back']);
    expect(call.texts()).toEqual([
      'Перезвоните, пжл., возможно качество связи улучшится. Спасибо за звонок, всего доброго',
    ]);
    expect(call.state).toBe('ended');
    expect(call.context.endReason).toBe('connection-lost');
    expect(call.counters).toEqual({ ...ZERO, connectionAttempts: 4 });
  });

  it('#8 operator cannot hear the customer: "we cannot hear you", then call back and close', () => {
    const call = namedCall();
    const step = call.send({ type: 'customer.inaudible' });
    expect(step.prompts).toEqual(['connection.inaudible']);
    expect(call.texts()).toEqual(['Иван Петрович, к сожалению, Вас не слышно.']);
    expect(call.state).toBe('connection');
    expect(call.counters).toEqual({ ...ZERO, connectionAttempts: 1 });

    call.sendAll({ type: 'customer.inaudible' }, { type: 'customer.inaudible' });
    expect(call.counters.connectionAttempts).toBe(3);
    const back = call.send({ type: 'customer.inaudible' });
    expect(back.prompts).toEqual(['connection.call-back']);
    expect(call.state).toBe('ended');
    expect(call.context.endReason).toBe('connection-lost');
    expect(call.counters).toEqual({ ...ZERO, connectionAttempts: 4 });
  });

  it('#9 profanity: a warning first, termination on the second', () => {
    const call = namedCall();
    const step = call.send({ type: 'customer.profanity' });
    expect(step.prompts).toEqual(['profanity.warning']);
    expect(call.texts()).toEqual([
      'Иван Петрович, по правилам работы нашей Компании, мы не можем вести разговор в подобном тоне',
    ]);
    expect(call.state).toEqual(conversation('talking', 'awaiting', 'warned'));
    expect(call.counters).toEqual({ ...ZERO, warnings: 1 });

    const end = call.send({ type: 'customer.profanity' });
    expect(end.prompts).toEqual(['profanity.termination']);
    expect(call.texts()).toEqual([
      'Иван Петрович, по правилам нашей Компании мы не можем продолжать разговор в подобном тоне. Всего доброго',
    ]);
    expect(call.state).toBe('ended');
    expect(call.context.endReason).toBe('profanity');
    expect(call.counters).toEqual({ ...ZERO, warnings: 1 });

    const anonymous = new CallDriver();
    anonymous.send({ type: 'customer.profanity' });
    expect(anonymous.texts()).toEqual([
      'По правилам работы нашей Компании, мы не можем вести разговор в подобном тоне',
    ]);
  });

  it('#10 "where are you?": Moscow, no street address', () => {
    const call = namedCall();
    const step = call.send({ type: 'customer.location-question' });
    expect(step.prompts).toEqual(['info.location']);
    expect(call.texts()).toEqual([
      'Иван Петрович, Вы сейчас обратились на сервисную линию Компании в Москву. Информацию о точном месте расположения (улица, номер дома) мы не предоставляем',
    ]);
    expect(call.state).toEqual(TALKING);
    expect(call.counters).toEqual(ZERO);
  });

  it('#11 question without information: apologise, call back in 2 days, escalate the topic', () => {
    const call = namedCall();
    const step = call.send({ type: 'customer.unknown-topic', topic: 'новая рассылка журнала' });
    expect(step.prompts).toEqual(['info.unknown-topic']);
    expect(step.effects).toEqual([{ type: 'supervisor.escalation', topic: 'новая рассылка журнала' }]);
    expect(call.texts()).toEqual([
      'Иван Петрович, это наше новое предложение. К сожалению, по нему у нас пока нет информации. Мы уточним этот вопрос, пжл., перезвоните через 2 дня',
    ]);
    expect(call.state).toEqual(TALKING);
    expect(call.counters).toEqual(ZERO);
  });

  it('#12 non-citizen: mail-order offer; accepted continues, declined apologises and ends', () => {
    const accepted = namedCall();
    const offer = accepted.send({ type: 'customer.non-citizen' });
    expect(offer.prompts).toEqual(['offer.mail-order']);
    expect(accepted.texts()).toEqual([
      'Иван Петрович, к сожалению, принимать участие в акции могут только граждане Российской Федерации. Компания готова Вам предложить иной вариант сотрудничества, это возможность приобретения товаров по почте. Вам интересно это предложение?',
    ]);
    expect(accepted.state).toEqual(conversation('offerPending', 'awaiting', 'polite'));
    expect(accepted.runtime.allowedEvents(accepted.snapshot)).toEqual(
      expect.arrayContaining(['offer.accepted', 'offer.declined']),
    );
    expect(accepted.send({ type: 'offer.accepted' }).prompts).toEqual([]);
    expect(accepted.state).toEqual(TALKING);
    expect(accepted.context.endReason).toBeNull();
    expect(accepted.runtime.allows(accepted.snapshot, { type: 'offer.declined' })).toBe(false);

    const declined = namedCall();
    declined.send({ type: 'customer.non-citizen' });
    const bye = declined.send({ type: 'offer.declined' });
    expect(bye.prompts).toEqual(['offer.declined']);
    expect(declined.texts()).toEqual(['Иван Петрович, приносим свои извинения. Спасибо за звонок, всего доброго']);
    expect(declined.state).toBe('ended');
    expect(declined.context.endReason).toBe('offer-declined');
    expect(declined.counters).toEqual(ZERO);
  });

  it('#13 no card in the newspaper: reassure', () => {
    const call = namedCall();
    const step = call.send({ type: 'customer.no-card' });
    expect(step.prompts).toEqual(['reassure.no-card']);
    expect(call.texts()).toEqual(['Не волнуйтесь, принять участие в наших акциях может любой желающий житель России']);
    expect(call.state).toEqual(TALKING);
    expect(call.counters).toEqual(ZERO);
  });

  it('#14 contact refused: reassure, skip the field, remember it (the seed\'s "ИО," form)', () => {
    const call = namedCall();
    const step = call.send({ type: 'customer.contact-refused', field: 'phone' });
    expect(step.prompts).toEqual(['reassure.skip-contact']);
    expect(call.texts()).toEqual([
      'Иван Петрович, давайте пропустим данный параметр. При последующем обращении Вы сможете назвать недостающие данные',
    ]);
    expect(call.state).toEqual(TALKING);
    expect(call.counters).toEqual(ZERO);
    expect(call.context.skippedFields).toEqual(['phone']);

    const anonymous = new CallDriver();
    anonymous.send({ type: 'customer.contact-refused', field: 'email' });
    expect(anonymous.texts()).toEqual([
      'Давайте пропустим данный параметр. При последующем обращении Вы сможете назвать недостающие данные',
    ]);
    expect(anonymous.context.skippedFields).toEqual(['email']);
  });

  it('#15 registering a third person: refuse, ask to hand over the phone', () => {
    const call = namedCall();
    const step = call.send({ type: 'customer.third-party' });
    expect(step.prompts).toEqual(['registration.third-party']);
    expect(call.texts()).toEqual([
      'По правилам нашей компании регистрация 3 лица невозможна. Передайте трубку тому, кого регистрируете, либо зарегистрируйтесь сами',
    ]);
    expect(call.state).toEqual(TALKING);
    expect(call.counters).toEqual(ZERO);
  });
});

/** One call parked in each kind of active state, built fresh per use. */
const ACTIVE_STATES: Record<string, () => CallDriver> = {
  greeting: () => new CallDriver(),
  talking: () => {
    const call = new CallDriver();
    call.send({ type: 'answer.given' });
    return call;
  },
  'offer pending (answer given, warned)': () => {
    const call = new CallDriver();
    call.sendAll({ type: 'answer.given' }, { type: 'customer.profanity' }, { type: 'customer.non-citizen' });
    return call;
  },
  hold: () => {
    const call = new CallDriver();
    call.send({ type: 'call.hold' });
    return call;
  },
  connection: () => {
    const call = new CallDriver();
    call.sendAll({ type: 'customer.cannot-hear' }, { type: 'customer.inaudible' });
    return call;
  },
};

describe('the frame: identification and hangup in every active state', () => {
  it.each(Object.keys(ACTIVE_STATES))('customer.identified is accepted in %s and changes only the name', (name) => {
    const call = ACTIVE_STATES[name]!();
    const before = call.runtime.persist(call.snapshot);
    expect(call.runtime.allowedEvents(call.snapshot)).toContain('customer.identified');
    const step = call.send(IVAN_EVENT);
    expect(step.prompts).toEqual([]);
    expect(step.timers).toEqual([]);
    expect(step.effects).toEqual([]);
    const after = call.runtime.persist(call.snapshot);
    expect(after.value).toEqual(before.value);
    expect(after.historyValue).toEqual(before.historyValue);
    expect(call.context).toEqual({ ...(before.context as object), customer: IVAN });
  });

  it('a later identification replaces the name; a patronymic is optional', () => {
    const call = new CallDriver(undefined, IVAN);
    call.send({ type: 'customer.identified', firstName: 'Мария' });
    expect(call.context.customer).toEqual({ firstName: 'Мария' });
    call.send({ type: 'call.hold' });
    expect(call.texts()).toEqual(['Мария, оставайтесь, пожалуйста, на линии, я уточню информацию']);
  });

  it.each(Object.keys(ACTIVE_STATES))('call.hangup from %s ends the call (hangup) and allows nothing more', (name) => {
    const call = ACTIVE_STATES[name]!();
    const counted = call.counters;
    const step = call.send({ type: 'call.hangup', by: 'customer' });
    expect(step.prompts).toEqual([]);
    expect(call.state).toBe('ended');
    expect(call.snapshot.status).toBe('done');
    expect(call.context.endReason).toBe('hangup');
    expect(call.counters).toEqual(counted);
    expect(call.runtime.allowedEvents(call.snapshot)).toEqual([]);
    expect(call.runtime.allows(call.snapshot, IVAN_EVENT)).toBe(false);
    expect(call.runtime.allows(call.snapshot, { type: 'call.hangup' })).toBe(false);
  });

  it('call.hangup without data (by is optional) and by the network also end the call', () => {
    for (const event of [{ type: 'call.hangup' }, { type: 'call.hangup', by: 'network' }] as CallEvent[]) {
      const call = new CallDriver();
      call.send(event);
      expect(call.context.endReason).toBe('hangup');
    }
  });
});

const INTERJECTIONS: { event: CallEvent; key: string }[] = [
  { event: { type: 'customer.prank' }, key: 'prank.warning' },
  { event: { type: 'customer.location-question' }, key: 'info.location' },
  { event: { type: 'customer.unknown-topic', topic: 'новая реклама' }, key: 'info.unknown-topic' },
  { event: { type: 'customer.no-card' }, key: 'reassure.no-card' },
  { event: { type: 'customer.contact-refused', field: 'email' }, key: 'reassure.skip-contact' },
  { event: { type: 'customer.third-party' }, key: 'registration.third-party' },
];

describe('interjections (situations 6, 10, 11, 13, 14, 15) return to where the conversation was', () => {
  it.each(INTERJECTIONS.map((i) => [i.event.type, i] as const))('%s in offer pending, answer given, warned', (_, i) => {
    const call = new CallDriver();
    call.sendAll(
      { type: 'answer.given' },
      { type: 'customer.repeat-request' },
      { type: 'customer.profanity' },
      { type: 'customer.non-citizen' },
    );
    const where = call.state;
    expect(where).toEqual(conversation('offerPending', 'given', 'warned'));
    const step = call.send(i.event);
    expect(step.prompts).toEqual([i.key]);
    expect(call.state).toEqual(where);
    expect(call.counters).toEqual({ repeats: 1, connectionAttempts: 0, warnings: 1 });
    // The offer is still pending and still answerable.
    expect(call.runtime.allows(call.snapshot, { type: 'offer.accepted' })).toBe(true);
    expect(call.send({ type: 'offer.accepted' }).prompts).toEqual([]);
    expect(call.state).toEqual(conversation('talking', 'given', 'warned'));
  });

  it.each(INTERJECTIONS.map((i) => [i.event.type, i] as const))('%s while talking keeps the state', (_, i) => {
    const call = new CallDriver();
    call.sendAll({ type: 'customer.prank' }, { type: 'answer.given' });
    const where = call.state;
    call.send(i.event);
    expect(call.state).toEqual(where);
  });

  it.each(INTERJECTIONS.map((i) => [i.event.type, i] as const))(
    '%s in the greeting keeps the answer and conduct regions and what is allowed',
    (_, i) => {
      const call = new CallDriver();
      const allowed = call.runtime.allowedEvents(call.snapshot);
      call.send(i.event);
      // The greeting is over once a situation has come up; nothing else moves.
      expect(call.state).toEqual(TALKING);
      expect(call.runtime.allowedEvents(call.snapshot)).toEqual(allowed);
    },
  );

  it('an interjection does not reset the repeat count', () => {
    const call = new CallDriver();
    call.sendAll({ type: 'answer.given' }, { type: 'customer.repeat-request' }, { type: 'customer.repeat-request' });
    for (const { event } of INTERJECTIONS) call.send(event);
    expect(call.counters.repeats).toBe(2);
    expect(call.send({ type: 'customer.repeat-request' }).prompts).toEqual(['repeat.answer']);
    expect(call.send({ type: 'customer.repeat-request' }).prompts).toEqual(['repeat.limit']);
  });
});

describe('deep history: call.unhold and connection.restored restore every region', () => {
  const parked = () => {
    const call = new CallDriver(undefined, IVAN);
    call.sendAll(
      { type: 'answer.given' },
      { type: 'customer.repeat-request' },
      { type: 'customer.repeat-request' },
      { type: 'customer.profanity' },
      { type: 'customer.non-citizen' },
    );
    expect(call.state).toEqual(conversation('offerPending', 'given', 'warned'));
    return call;
  };

  for (const roundTrip of [false, true]) {
    const how = roundTrip ? ' after persist -> JSON -> restore' : '';

    it(`call.unhold returns to offer pending + answer given + warned${how}`, () => {
      const call = parked();
      call.send({ type: 'call.hold' });
      if (roundTrip) call.roundTrip();
      call.send({ type: 'customer.speech' });
      if (roundTrip) call.roundTrip();
      call.send(HOLD_TIMER_EVENT);
      if (roundTrip) call.roundTrip();
      expect(call.send({ type: 'call.unhold' }).prompts).toEqual(['hold.return']);
      expect(call.state).toEqual(conversation('offerPending', 'given', 'warned'));
      expect(call.counters).toEqual({ repeats: 2, connectionAttempts: 0, warnings: 1 });
      // Every restored region still behaves: the offer is pending, the warning counts, repeats go on.
      expect(call.runtime.allows(call.snapshot, { type: 'offer.declined' })).toBe(true);
      expect(call.send({ type: 'customer.repeat-request' }).prompts).toEqual(['repeat.answer']);
      expect(call.send({ type: 'customer.repeat-request' }).prompts).toEqual(['repeat.limit']);
      expect(call.context.endReason).toBe('repeat-limit');
    });

    it(`connection.restored returns to offer pending + answer given + warned${how}`, () => {
      const call = parked();
      call.send({ type: 'customer.inaudible' });
      if (roundTrip) call.roundTrip();
      call.send({ type: 'customer.cannot-hear' });
      if (roundTrip) call.roundTrip();
      expect(call.counters.connectionAttempts).toBe(2);
      expect(call.send({ type: 'connection.restored' }).prompts).toEqual([]);
      expect(call.state).toEqual(conversation('offerPending', 'given', 'warned'));
      expect(call.counters).toEqual({ repeats: 2, connectionAttempts: 0, warnings: 1 });
      expect(call.send({ type: 'customer.profanity' }).prompts).toEqual(['profanity.termination']);
      expect(call.context.endReason).toBe('profanity');
    });
  }

  it('returns to the greeting when the call was put on hold in the greeting', () => {
    const call = new CallDriver();
    call.send({ type: 'call.hold' });
    call.roundTrip();
    call.send({ type: 'call.unhold' });
    expect(call.state).toEqual(GREETING);
  });

  it('a restored snapshot in the conversation matches the original exactly', () => {
    const call = parked();
    const before = call.runtime.persist(call.snapshot);
    call.roundTrip();
    expect(call.runtime.persist(call.snapshot)).toEqual(before);
    expect(call.runtime.allowedEvents(call.snapshot)).toContain('offer.accepted');
  });
});

describe('side data', () => {
  it('skipped contact fields are remembered once each, in order, and survive a round trip', () => {
    const call = new CallDriver();
    call.send({ type: 'customer.contact-refused', field: 'email' });
    call.send({ type: 'customer.contact-refused', field: 'email' });
    expect(call.context.skippedFields).toEqual(['email']);
    call.send({ type: 'call.hold' });
    call.roundTrip();
    call.send({ type: 'call.unhold' });
    call.send({ type: 'customer.contact-refused', field: 'phone' });
    expect(call.context.skippedFields).toEqual(['email', 'phone']);
  });

  it('the supervisor escalation carries the topic of each question, from any conversation state', () => {
    const call = new CallDriver();
    expect(call.send({ type: 'customer.unknown-topic', topic: 'новая реклама' }).effects).toEqual([
      { type: 'supervisor.escalation', topic: 'новая реклама' },
    ]);
    call.send({ type: 'customer.non-citizen' });
    expect(call.send({ type: 'customer.unknown-topic', topic: 'рассылка №2' }).effects).toEqual([
      { type: 'supervisor.escalation', topic: 'рассылка №2' },
    ]);
    // No other event escalates.
    expect(call.send({ type: 'customer.prank' }).effects).toEqual([]);
  });
});
