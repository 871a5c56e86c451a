/**
 * A LISTEN connection of its own (notifications need a session that is not shared with
 * queries): opened again with a growing pause whenever it is lost, and `wake` is called
 * after each (re)connect too, so that what was committed while nobody listened is read.
 */
import pg from 'pg';

/** Listens on `channel` until the returned function is called. */
export function listen(url: string, channel: string, wake: () => void): () => void {
  let stopped = false;
  let current: pg.Client | undefined;
  const open = async (): Promise<void> => {
    let pauseMs = 100;
    while (!stopped) {
      const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
      c.on('error', () => undefined);
      try {
        await c.connect();
        c.on('notification', () => wake());
        const again = (): void => {
          if (current === c && !stopped) {
            current = undefined;
            void open();
          }
        };
        c.on('error', again);
        c.on('end', again);
        await c.query(`LISTEN ${channel}`);
        current = c;
        if (stopped) {
          await c.end().catch(() => undefined);
          return;
        }
        wake();
        return;
      } catch {
        await c.end().catch(() => undefined);
        await new Promise((r) => setTimeout(r, pauseMs).unref());
        pauseMs = Math.min(pauseMs * 2, 5_000);
      }
    }
  };
  void open();
  return () => {
    stopped = true;
    const c = current;
    current = undefined;
    void c?.end().catch(() => undefined);
  };
}
