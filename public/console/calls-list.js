// @ts-check
/** The sidebar's active calls: one button each, the chosen one marked, calls on hold tinted. */
import { callsError } from '../call/calls.js';
import { selectCall } from '../call/chosen.js';
import { customerName, shortState } from '../call/labels.js';
import { state } from '../call/state.js';
import { $, h } from '../dom.js';
import { t } from '../i18n.js';
import { asPaths } from '../inspector.js';

export function renderCallsList() {
  $('#calls-status').textContent = callsError || (state.calls.length === 0 ? t('calls.empty') : '');
  $('#call-list').replaceChildren(
    ...state.calls.map((call) => {
      const paths = asPaths(call.state);
      const onHold = paths.includes('hold');
      return h(
        'li',
        {},
        h(
          'button',
          {
            type: 'button',
            class: `call-item${onHold ? ' on-hold' : ''}`,
            'aria-current': call.callId === state.callId ? 'true' : null,
            dataset: { callId: call.callId },
            onclick: () => selectCall(call.callId),
          },
          h('span', { class: 'call-item-id' }, call.callId),
          h('span', { class: 'call-item-name' }, customerName(call.customer) ?? t('call.nameUnknown')),
          h('span', { class: 'call-item-state' }, paths.map(shortState).join(' · ')),
        ),
      );
    }),
  );
}
