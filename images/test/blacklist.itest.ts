// Every viewer reaches Xvnc through websockify, i.e. from 127.0.0.1. TigerVNC's default per-address
// blacklist (five connections that end before authenticating → everyone refused with "RFB 003.003"
// and "Too many security failures") would therefore lock all users out after a few aborted probes
// or closed tabs. The images start Xvnc with the blacklist off; this checks it stays off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { RfbClient } from './support/rfb.js';
import {
  basicAuth,
  imagePresent,
  imageRef,
  RFB_BANNER,
  removeContainer,
  startWorkspace,
  type Workspace,
  waitForBanner,
} from './support/workspace.js';

/**
 * One connection that leaves early: right after the banner, or after answering the version (the
 * two ways a probe or a closing tab ends before authenticating). Resolves with the banner.
 */
function abortedConnection(port: number, password: string, answerVersion: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://127.0.0.1:${port}/websockify`, ['binary'], {
      rejectUnauthorized: false,
      headers: { Authorization: basicAuth('kasm_user', password) },
    });
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('no banner within 10 s'));
    }, 10_000);
    ws.on('message', (data: Buffer) => {
      received = Buffer.concat([received, data]);
      if (received.length < 12) return;
      clearTimeout(timer);
      const banner = received.subarray(0, 12).toString('latin1');
      if (answerVersion && banner === RFB_BANNER) {
        ws.send(Buffer.from(RFB_BANNER, 'latin1'));
        // Long enough for Xvnc to read the version and offer its security types, then gone.
        setTimeout(() => ws.terminate(), 20);
      } else {
        ws.terminate();
      }
      resolve(banner);
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

describe('Xvnc blacklisting', () => {
  const ref = imageRef('desktop');
  let ws: Workspace | undefined;

  beforeAll(async () => {
    if (!(await imagePresent(ref)))
      throw new Error(`${ref} is missing: run 'node packages/cli/bin/porthole.js images build'`);
    ws = await startWorkspace(ref);
    await waitForBanner(ws.port, ws.password);
  });

  afterAll(async () => {
    await removeContainer(ws?.container);
  });

  it('never locks viewers out after many aborted connections from websockify', async () => {
    if (!ws) throw new Error('workspace did not start');
    const { port, password } = ws;
    const banners: string[] = [];
    // Twenty in quick succession, in fours at once, half of them leaving mid-handshake: far past
    // TigerVNC's default threshold of five.
    for (let round = 0; round < 5; round += 1) {
      banners.push(
        ...(await Promise.all(
          [0, 1, 2, 3].map((i) => abortedConnection(port, password, (round + i) % 2 === 0)),
        )),
      );
    }
    expect(banners).toEqual(Array.from({ length: 20 }, () => RFB_BANNER));

    // A normal viewer still gets the 3.8 banner and completes the handshake (security None offered,
    // result OK, ServerInit) instead of the RFB 3.3 refusal.
    const rfb = await RfbClient.connect(port, password);
    rfb.close();
    expect(rfb.width).toBeGreaterThan(0);
    expect(await abortedConnection(port, password, false)).toBe(RFB_BANNER);
  });
});
