/**
 * SPEC §5 for the adapters: customer names travel in PBX events (CALLFLOW_* channel variables),
 * in good events, refused ones and broken frames alike, and none may reach the log at any level.
 * A real server process at LOG_LEVEL=trace, connected to a fake Asterisk and a fake FreeSWITCH.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { until } from '../support/api.js';
import { FakeAri } from '../support/fake-ari.js';
import { FakeFreeswitch } from '../support/fake-freeswitch.js';
import { type ServerProcess, startServer } from '../support/server-process.js';

// Names that occur nowhere else (not in the catalogue, not in the code).
const NAMES = ['Евстигней', 'Пантелеймонович', 'Феврония', 'Ипатьевна', 'Sosipatr'];

let ari: FakeAri | undefined;
let fs: FakeFreeswitch | undefined;
let server: ServerProcess | undefined;

afterAll(async () => {
  await server?.kill();
  await ari?.close();
  await fs?.close();
});

async function postRaw(path: string, body: string) {
  const res = await fetch(`${server!.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  return res.status;
}

describe('adapters and the log', () => {
  it('names in good, refused and broken PBX events never reach the log, at trace level', async () => {
    ari = await FakeAri.start({ username: 'u', password: 'p' });
    fs = await FakeFreeswitch.start({ password: 'pw' });
    server = await startServer(
      {
        LOG_LEVEL: 'trace',
        ARI_URL: ari.url,
        ARI_USERNAME: 'u',
        ARI_PASSWORD: 'p',
        FREESWITCH_ESL: fs.address,
        FREESWITCH_PASSWORD: 'pw',
      },
      { timeoutMs: 90_000 },
    );
    await Promise.all([ari.waitForConnections(1), fs.waitForSubscribed(1)]);
    const [first, patronymic, second, hers, latin] = NAMES as [string, string, string, string, string];

    // ARI: a good call, a name too long for the API (dropped), a frame that is no JSON, a known
    // event without its channel.
    const good = ari.channel('1732560000.1', {
      channelvars: { CALLFLOW_FIRST_NAME: first, CALLFLOW_PATRONYMIC: patronymic },
    });
    const long = ari.channel('1732560000.2', { channelvars: { CALLFLOW_FIRST_NAME: second.repeat(20) } });
    ari.send(ari.stasisStart(good), ari.stasisStart(long));
    ari.sendRaw(`{"type":"StasisStart","channel":{"channelvars":{"CALLFLOW_FIRST_NAME":"${hers}"`);
    ari.sendRaw(JSON.stringify({ type: 'StasisStart', timestamp: 'x', args: [], name: latin }));

    // FreeSWITCH: a good call, a frame with a wrong Content-Length, one that is no JSON, a value
    // that is no string.
    const leg = fs.inboundLeg({ variables: { CALLFLOW_FIRST_NAME: second, CALLFLOW_PATRONYMIC: hers } });
    fs.send(fs.answer(leg));
    await fs.writeRaw(
      FakeFreeswitch.frame(fs.answer(fs.inboundLeg({ variables: { CALLFLOW_FIRST_NAME: latin } })), -5),
    );
    const broken = `{"Event-Name":"CHANNEL_ANSWER","variable_CALLFLOW_FIRST_NAME":"${first}`;
    await fs.writeRaw(
      Buffer.from(`Content-Length: ${Buffer.byteLength(broken)}\nContent-Type: text/event-json\n\n${broken}`),
    );
    const numbered = { ...fs.answer(fs.inboundLeg()), variable_CALLFLOW_FIRST_NAME: hers, 'Event-Sequence': 1 };
    await fs.writeRaw(FakeFreeswitch.frame(numbered as unknown as Record<string, string>));

    // The HTTP routes: refused bodies that carry names.
    expect(
      await postRaw(
        '/v1/adapters/freeswitch/events',
        JSON.stringify({ 'Event-Name': 'CHANNEL_ANSWER', name: { first } }),
      ),
    ).toBe(400);
    expect(
      await postRaw(
        '/v1/adapters/asterisk/events',
        JSON.stringify([{ type: 'ChannelHold', channel: { name: patronymic } }]),
      ),
    ).toBe(400);
    expect(await postRaw('/v1/adapters/asterisk/events', `{"type":"StasisStart","x":"${latin}"`)).toBe(400);

    // Everything was handled: the two good calls exist, and the log has the skips in it.
    await until(async () => (await fetch(`${server!.url}/v1/calls/${good.id}`)).status === 200, {
      message: 'ARI call',
    });
    await until(async () => (await fetch(`${server!.url}/v1/calls/${leg.uuid}`)).status === 200, {
      message: 'FS call',
    });
    await until(() => (server!.output().match(/malformed PBX event skipped/g)?.length ?? 0) >= 7, {
      message: 'seven malformed events logged',
    });
    const output = server.output();
    expect(output).toContain('CALLFLOW_* name not usable');
    for (const name of NAMES) expect(output, name).not.toContain(name);
    // Nor in JSON's \u escapes.
    for (const name of NAMES)
      expect(output).not.toContain(
        JSON.stringify(name)
          .slice(1, -1)
          .replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
      );
  }, 120_000);
});
