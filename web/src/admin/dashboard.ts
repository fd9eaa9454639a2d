/**
 * Renders the admin dashboard from the polled overview and connection list, keeping the last minute of
 * rates and latencies for the charts. Text is only ever set with textContent.
 */
import { byTestId, h } from '../ui/dom';
import type { ConnectionList, MetricsSnapshot, Overview } from './api';
import { renderChart } from './chart';
import { formatBytesRate, formatDuration, formatRate, formatSeconds, latencyBetween, ratesBetween, type Latency, type Rates } from './rates';

/** Points kept for the charts: one per poll, so a minute at the default interval. */
export const HISTORY = 60;

interface Sample {
  rates: Rates | undefined;
  latency: Latency | undefined;
}

export class Dashboard {
  private previous: MetricsSnapshot | undefined;
  private readonly history: Sample[] = [];

  constructor(private readonly root: ParentNode) {}

  private el(id: string): HTMLElement {
    return byTestId(this.root, id, HTMLElement);
  }

  private chart(id: string): SVGSVGElement {
    const el = this.root.querySelector(`[data-testid="${id}"]`);
    if (!(el instanceof SVGSVGElement)) throw new Error(`Missing chart [data-testid="${id}"]`);
    return el;
  }

  private set(id: string, text: string): void {
    this.el(id).textContent = text;
  }

  update(overview: Overview, connections: ConnectionList, now: number): void {
    const metrics = overview.metrics;
    const sample: Sample = this.previous
      ? { rates: ratesBetween(this.previous, metrics), latency: latencyBetween(this.previous, metrics) }
      : { rates: undefined, latency: undefined };
    this.previous = metrics;
    this.history.push(sample);
    if (this.history.length > HISTORY) this.history.shift();

    this.renderHeader(overview, now);
    this.renderStats(overview, sample);
    this.renderCharts();
    this.renderNodes(overview, now);
    this.renderChannels(overview);
    this.renderConnections(connections, now);
    this.renderSlowConsumers(overview);
  }

  private renderHeader(overview: Overview, now: number): void {
    const node = overview.node;
    this.set('admin-node', node.id);
    this.set('admin-engine', node.engine);
    this.set('admin-uptime', formatDuration(now - Date.parse(node.startedAt)));
    const status = node.draining ? 'draining' : node.ready ? 'ready' : 'not_ready';
    this.el('admin-status').setAttribute('data-status', status);
    this.set('admin-status-text', node.draining ? 'Draining' : node.ready ? 'Ready' : 'Not ready');
  }

  private renderStats(overview: Overview, sample: Sample): void {
    const metrics = overview.metrics;
    this.set('stat-connections', String(overview.node.connections));
    this.set('stat-channels', String(overview.channelCount));
    this.set('stat-published-rate', formatRate(sample.rates?.published));
    this.set('stat-delivered-rate', formatRate(sample.rates?.delivered));
    this.set('stat-received-rate', formatRate(sample.rates?.received));
    this.set('stat-bytes-in', formatBytesRate(sample.rates?.bytesIn));
    this.set('stat-bytes-out', formatBytesRate(sample.rates?.bytesOut));
    // Latency of the last interval; when nothing was delivered in it, the last interval that had deliveries.
    const latest = [...this.history].reverse().find((s) => (s.latency?.count ?? 0) > 0)?.latency;
    this.set('stat-latency-p50', formatSeconds(latest?.p50));
    this.set('stat-latency-p95', formatSeconds(latest?.p95));
    this.set('stat-latency-p99', formatSeconds(latest?.p99));
    this.set('stat-queue', `${metrics.maxQueuedFrames} / ${overview.outboundQueueCapacity}`);
    this.set('stat-rejected', String(metrics.messagesRejected));
    this.set('stat-slow-consumers', String(metrics.slowConsumerDisconnects));
    this.set('stat-engine-errors', String(metrics.engineErrors));
  }

  private renderCharts(): void {
    renderChart(
      this.chart('chart-rate'),
      [
        { name: 'published', className: 'published', values: this.history.map((s) => s.rates?.published) },
        { name: 'delivered', className: 'delivered', values: this.history.map((s) => s.rates?.delivered) },
      ],
      HISTORY,
      (value) => formatRate(value),
    );
    const latency = (pick: (l: Latency) => number | undefined) => this.history.map((s) => (s.latency ? pick(s.latency) : undefined));
    renderChart(
      this.chart('chart-latency'),
      [
        { name: 'p50', className: 'p50', values: latency((l) => l.p50) },
        { name: 'p95', className: 'p95', values: latency((l) => l.p95) },
        { name: 'p99', className: 'p99', values: latency((l) => l.p99) },
      ],
      HISTORY,
      (value) => formatSeconds(value),
    );
  }

  private renderNodes(overview: Overview, now: number): void {
    this.el('nodes-table').replaceChildren(
      ...overview.nodes.map((node) =>
        h(
          'tr',
          { 'data-testid': 'node-row', 'data-node': node.id },
          h('td', {}, node.id),
          h('td', {}, node.engine),
          h('td', {}, node.draining ? 'draining' : node.ready ? 'ready' : 'not ready'),
          h('td', {}, String(node.connections)),
          h('td', {}, String(node.channels)),
          h('td', {}, formatDuration(now - Date.parse(node.startedAt))),
        ),
      ),
    );
  }

  private renderChannels(overview: Overview): void {
    this.el('channels-table').replaceChildren(
      ...overview.channels.map((c) =>
        h('tr', { 'data-testid': 'channel-row', 'data-channel': c.channel }, h('td', {}, c.channel), h('td', { 'data-testid': 'channel-subscribers' }, String(c.subscribers))),
      ),
    );
    this.el('channels-empty').hidden = overview.channels.length > 0;
  }

  private renderConnections(list: ConnectionList, now: number): void {
    this.set('connections-total', list.total > list.connections.length ? `(${list.connections.length} of ${list.total})` : `(${list.total})`);
    this.el('connections-table').replaceChildren(
      ...list.connections.map((c) =>
        h(
          'tr',
          { 'data-testid': 'connection-row', 'data-connection': String(c.id) },
          h('td', {}, String(c.id)),
          h('td', {}, c.protocol),
          h('td', {}, c.remoteAddress ?? '—'),
          h('td', {}, c.name ?? '—'),
          h('td', { 'data-testid': 'connection-user' }, c.user ?? '—'),
          h('td', {}, String(c.subscriptions)),
          h('td', {}, String(c.queuedFrames)),
          h('td', {}, formatDuration(now - Date.parse(c.connectedAt))),
        ),
      ),
    );
  }

  private renderSlowConsumers(overview: Overview): void {
    this.el('slow-consumers-table').replaceChildren(
      ...overview.slowConsumers.map((e) =>
        h(
          'tr',
          { 'data-testid': 'slow-consumer-row' },
          h('td', {}, new Date(e.time).toLocaleTimeString()),
          h('td', {}, String(e.connectionId)),
          h('td', {}, e.remoteAddress ?? '—'),
          h('td', {}, String(e.capacity)),
        ),
      ),
    );
    this.el('slow-consumers-empty').hidden = overview.slowConsumers.length > 0;
  }
}
