/**
 * hearth's dashboard (read-only): provisioned configs with live status, a config's last
 * hour as a chart with its schedule, functions with versions and aliases of both dialects,
 * recent invocations and a live log tail. Updates arrive as server-sent events; the
 * snapshot is read again only when the stream says something changed (or reconnects).
 */
import { html } from 'htm/preact';
import { render } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import {
  eventsUrl,
  fetchHistory,
  fetchState,
  logsUrl,
  type FunctionView,
  type HistoryPoint,
  type Invocation,
  type ProvisionedView,
  type State,
  type StatusEvent,
} from './api.js';
import { createChart, toData } from './chart.js';
import './style.css';

const MAX_INVOCATIONS = 50;
const MAX_LOG_CHARS = 64 * 1024;
const HOUR_MS = 3600_000;

const fmtTime = (ms: number): string => new Date(ms).toLocaleTimeString([], { hour12: false });
const fmtMs = (ms: number): string => (ms < 10 ? ms.toFixed(2) : ms < 1000 ? ms.toFixed(1) : ms.toFixed(0));

function App() {
  const [state, setState] = useState<State | undefined>(undefined);
  const [live, setLive] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [invocations, setInvocations] = useState<readonly Invocation[]>([]);
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const [samples, setSamples] = useState<Record<string, HistoryPoint>>({});

  useEffect(() => {
    let refetch: number | undefined;
    let known = new Set<string>();
    const load = () => {
      fetchState()
        .then((s) => {
          known = new Set(s.provisioned.map((c) => c.poolKey));
          setState(s);
          setInvocations([...s.recentInvocations].reverse().slice(0, MAX_INVOCATIONS));
          setError(undefined);
        })
        .catch((e: unknown) => setError(String(e)));
    };
    const soon = () => {
      window.clearTimeout(refetch);
      refetch = window.setTimeout(load, 100);
    };
    const es = new EventSource(eventsUrl);
    es.onopen = () => {
      setLive(true);
      load();
    };
    es.onerror = () => setLive(false);
    es.addEventListener('provisioned', (ev: MessageEvent<string>) => {
      const e = JSON.parse(ev.data) as StatusEvent;
      if (!known.has(e.poolKey)) {
        soon();
        return;
      }
      setState((s) =>
        s === undefined
          ? s
          : {
              ...s,
              provisioned: s.provisioned.map((c) =>
                c.poolKey === e.poolKey
                  ? {
                      ...c,
                      allocated: e.allocated,
                      available: e.available,
                      status: e.status,
                      statusReason: e.statusReason ?? null,
                    }
                  : c,
              ),
            },
      );
      // A config that went away (or a changed count) reads the snapshot again.
      if (e.allocated === 0 && e.status === 'IN_PROGRESS') {
        soon();
      }
    });
    es.addEventListener('changed', soon);
    es.addEventListener('invocations', (ev: MessageEvent<string>) => {
      const batch = JSON.parse(ev.data) as Invocation[];
      setInvocations((prev) => [...batch.reverse(), ...prev].slice(0, MAX_INVOCATIONS));
    });
    es.addEventListener('sample', (ev: MessageEvent<string>) => {
      const points = JSON.parse(ev.data) as Record<string, HistoryPoint>;
      setSamples(points);
      setState((s) =>
        s === undefined
          ? s
          : {
              ...s,
              provisioned: s.provisioned.map((c) => {
                const p = points[c.poolKey];
                return p === undefined ? c : { ...c, requested: p.requested, utilization: p.utilization };
              }),
            },
      );
    });
    return () => {
      es.close();
      window.clearTimeout(refetch);
    };
  }, []);

  const configs = state?.provisioned ?? [];
  const current = configs.find((c) => c.poolKey === selected) ?? configs[0];

  return html`
    <header>
      <h1>hearth</h1>
      <span class="conn" data-live=${live}>${live ? 'live' : 'connecting…'}</span>
      ${state === undefined ? null : html`<span class="muted">queue: ${state.queue.depth} event(s)</span>`}
      ${error === undefined ? null : html`<span class="error">${error}</span>`}
    </header>
    <main>
      <section>
        <h2>Provisioned concurrency</h2>
        <${ProvisionedTable} configs=${configs} selected=${current?.poolKey} onSelect=${setSelected} />
      </section>
      ${
        current === undefined
          ? null
          : html`<section>
              <h2>${current.functionName}:${current.qualifier} — last hour</h2>
              <${Chart} poolKey=${current.poolKey} sample=${samples[current.poolKey]} />
              <${Schedule} config=${current} />
            </section>`
      }
      <section>
        <h2>Functions</h2>
        <${Functions} functions=${state?.functions ?? []} />
      </section>
      <section>
        <h2>Recent invocations</h2>
        <div class="scroll"><${Invocations} rows=${invocations} /></div>
      </section>
      <section>
        <h2>Log tail</h2>
        <${LogTail} functions=${state?.functions ?? []} />
      </section>
    </main>
  `;
}

function ProvisionedTable(props: {
  configs: readonly ProvisionedView[];
  selected: string | undefined;
  onSelect: (k: string) => void;
}) {
  if (props.configs.length === 0) {
    return html`<p class="muted" data-testid="pc-empty">No provisioned concurrency configs.</p>`;
  }
  return html`<table data-testid="pc-table">
    <thead>
      <tr>
        <th>Function</th>
        <th>Qualifier</th>
        <th>Namespace</th>
        <th class="num">Requested</th>
        <th class="num">Allocated</th>
        <th class="num">Available</th>
        <th>Status</th>
        <th class="num">Utilisation</th>
      </tr>
    </thead>
    <tbody>
      ${props.configs.map(
        (c) =>
          html`<tr
            key=${c.poolKey}
            data-testid="pc-row"
            data-function=${c.functionName}
            data-qualifier=${c.qualifier}
            class=${c.poolKey === props.selected ? 'selected' : ''}
            onClick=${() => props.onSelect(c.poolKey)}
          >
            <td>${c.functionName}</td>
            <td>${c.qualifier}</td>
            <td>${c.namespace}</td>
            <td class="num" data-field="requested">${c.requested}</td>
            <td class="num" data-field="allocated">${c.allocated}</td>
            <td class="num" data-field="available">${c.available}</td>
            <td>
              <span class="status" data-field="status" data-status=${c.status} title=${c.statusReason ?? ''}
                >${c.status}</span
              >
              ${c.statusReason === null ? null : html`<div class="reason">${c.statusReason}</div>`}
            </td>
            <td class="num">${Math.round(c.utilization * 100)}%</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function Chart(props: { poolKey: string; sample: HistoryPoint | undefined }) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const points = useRef<HistoryPoint[]>([]);

  useEffect(() => {
    let cancelled = false;
    points.current = [];
    fetchHistory(props.poolKey)
      .then((h) => {
        if (cancelled || el.current === null) {
          return;
        }
        points.current = h.points;
        plot.current?.destroy();
        plot.current = createChart(el.current, toData(points.current), el.current.clientWidth || 800);
      })
      .catch(() => undefined);
    return () => {
      cancelled = true;
      plot.current?.destroy();
      plot.current = undefined;
    };
  }, [props.poolKey]);

  useEffect(() => {
    const s = props.sample;
    if (s === undefined || plot.current === undefined) {
      return;
    }
    points.current = [...points.current.filter((p) => p.t >= s.t - HOUR_MS && p.t !== s.t), s];
    plot.current.setData(toData(points.current));
  }, [props.sample]);

  return html`<div class="chart" data-testid="chart" ref=${el}></div>`;
}

function Schedule(props: { config: ProvisionedView }) {
  const s = props.config.schedule;
  if (s === null) {
    return html`<p class="muted">No scalable target: the count changes only when the config is put.</p>`;
  }
  return html`<div class="schedule">
    <p>${rangeLabel(s)}</p>
    ${
      s.actions.length === 0
        ? html`<p class="muted">No scheduled actions.</p>`
        : html`<table>
            <thead>
              <tr>
                <th>Scheduled action</th>
                <th>Schedule</th>
                <th class="num">Min</th>
                <th class="num">Max</th>
              </tr>
            </thead>
            <tbody>
              ${s.actions.map(
                (a) =>
                  html`<tr key=${a.name}>
                    <td>${a.name}</td>
                    <td><code>${a.expression}</code>${a.timeZone === null ? '' : ` (${a.timeZone})`}</td>
                    <td class="num">${a.min ?? '–'}</td>
                    <td class="num">${a.max ?? '–'}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
  </div>`;
}

function rangeLabel(s: NonNullable<ProvisionedView['schedule']>): string {
  const tracking = s.policies
    .map((p) => `, tracking ${Math.round(p.targetValue * 100)}% (${p.name})`)
    .join('');
  return `Range ${s.minCapacity}–${s.maxCapacity}${tracking}`;
}

function Functions(props: { functions: readonly FunctionView[] }) {
  if (props.functions.length === 0) {
    return html`<p class="muted">No functions.</p>`;
  }
  return html`<table data-testid="functions">
    <thead>
      <tr>
        <th>Function</th>
        <th>Namespace</th>
        <th>Region</th>
        <th>Dialects</th>
        <th>Runtime</th>
        <th>Versions</th>
        <th>Aliases</th>
      </tr>
    </thead>
    <tbody>
      ${props.functions.map(
        (f) =>
          html`<tr
            key=${`${f.region}/${f.namespace}/${f.name}`}
            data-testid="function-row"
            data-function=${f.name}
          >
            <td>${f.name}</td>
            <td>${f.namespace}</td>
            <td>${f.region}</td>
            <td>
              ${f.dialects.map((d) => html`<span class="tag">${d === 'aws-lambda' ? 'Lambda' : 'SCF'}</span>`)}
            </td>
            <td>${f.runtime} · ${f.memoryMb} MB</td>
            <td>${['$LATEST', ...f.versions.map((v) => v.version)].join(', ')}</td>
            <td>
              ${
                f.aliases.length === 0
                  ? html`<span class="muted">–</span>`
                  : f.aliases.map((a) => html`<span class="tag">${aliasLabel(a)}</span>`)
              }
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function aliasLabel(a: FunctionView['aliases'][number]): string {
  const extra = Object.entries(a.additionalVersionWeights)
    .map(([v, w]) => ` + ${v} (${Math.round(w * 100)}%)`)
    .join('');
  return `${a.name} → ${a.functionVersion}${extra}`;
}

function Invocations(props: { rows: readonly Invocation[] }) {
  if (props.rows.length === 0) {
    return html`<p class="muted">No invocations yet.</p>`;
  }
  return html`<table data-testid="invocations">
    <thead>
      <tr>
        <th>Time</th>
        <th>Function</th>
        <th>Version</th>
        <th class="num">Duration (ms)</th>
        <th>Start</th>
        <th>Ran on</th>
        <th>Result</th>
      </tr>
    </thead>
    <tbody>
      ${props.rows.map(
        (r) =>
          html`<tr key=${r.requestId} data-testid="invocation-row">
            <td>${fmtTime(r.atMs)}</td>
            <td>${r.functionName}</td>
            <td>${r.version}</td>
            <td class="num">${fmtMs(r.durationMs)}</td>
            <td>
              <span class="tag" data-kind=${r.cold ? 'cold' : 'warm'}>${r.cold ? 'cold' : 'warm'}</span>
            </td>
            <td>
<span class="tag" data-kind=${ranOn(r)}>${ranOn(r)}</span>
            </td>
            <td>
              ${r.errorType === undefined ? html`<span class="ok">ok</span>` : html`<span class="error">${r.errorType}</span>`}
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function ranOn(r: Invocation): string {
  return r.initializationType === 'provisioned-concurrency'
    ? 'provisioned'
    : r.spillover
      ? 'spill-over'
      : 'on-demand';
}

function LogTail(props: { functions: readonly FunctionView[] }) {
  const [chosen, setChosen] = useState<string>('');
  const [text, setText] = useState('');
  const [connected, setConnected] = useState(false);
  const pre = useRef<HTMLPreElement>(null);
  const fn = useMemo(
    () => props.functions.find((f) => `${f.region}/${f.namespace}/${f.name}` === chosen),
    [props.functions, chosen],
  );

  useEffect(() => {
    setText('');
    setConnected(false);
    if (fn === undefined) {
      return;
    }
    const es = new EventSource(logsUrl(fn));
    // The server's first event: from here on every line written is sent.
    es.addEventListener('following', () => setConnected(true));
    es.onerror = () => setConnected(false);
    es.addEventListener('log', (ev: MessageEvent<string>) => {
      const e = JSON.parse(ev.data) as { stream: string; text: string };
      setText((t) => (t + e.text).slice(-MAX_LOG_CHARS));
    });
    return () => es.close();
  }, [fn?.name, fn?.namespace, fn?.region]);

  useEffect(() => {
    if (pre.current !== null) {
      pre.current.scrollTop = pre.current.scrollHeight;
    }
  }, [text]);

  return html`<div>
    <select
      data-testid="log-function"
      value=${chosen}
      onChange=${(e: Event) => setChosen((e.target as HTMLSelectElement).value)}
    >
      <option value="">Choose a function…</option>
      ${props.functions.map((f) => {
        const k = `${f.region}/${f.namespace}/${f.name}`;
        return html`<option key=${k} value=${k}>
          ${f.name}${f.namespace === 'default' ? '' : ` (${f.namespace})`} · ${f.region}
        </option>`;
      })}
    </select>
    <pre class="logs" data-testid="log-tail" data-connected=${connected} ref=${pre}>
${fn === undefined ? '' : text || 'Waiting for log lines…'}</pre>
  </div>`;
}

const root = document.getElementById('app');
if (root !== null) {
  render(html`<${App} />`, root);
}
