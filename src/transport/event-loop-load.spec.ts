import { EventLoopLoad } from './event-loop-load.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('EventLoopLoad', () => {
  it('says nothing until a whole window has passed since it started measuring', () => {
    const load = new EventLoopLoad(50);
    expect(load.sample()).toBeUndefined(); // starts the window
    expect(load.sample()).toBeUndefined(); // not 50 ms yet
  });

  it('reads a loop kept busy as busy, and one left waiting as idle', async () => {
    const load = new EventLoopLoad(50);
    load.sample();
    const until = performance.now() + 80;
    while (performance.now() < until) {
      // Work the loop without yielding.
    }
    expect(load.sample()).toBeGreaterThan(0.8);
    await sleep(80);
    expect(load.sample()).toBeLessThan(0.5);
  });

  it('forgets what came before restart()', async () => {
    const load = new EventLoopLoad(50);
    load.sample();
    await sleep(80);
    load.restart();
    expect(load.sample()).toBeUndefined();
    const until = performance.now() + 80;
    while (performance.now() < until) {
      // The idle spell before the restart must not dilute this busy one.
    }
    expect(load.sample()).toBeGreaterThan(0.8);
  });
});
