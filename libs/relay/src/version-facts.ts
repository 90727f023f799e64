import type { EventDataMap } from '#domain';
import type { EventStore, RecordedEvent } from '#event-store';
import { toCloudEvent, versionOfEvent, type CloudEvent, type VersionFacts } from './cloudevents.js';

/**
 * Artifact and image of each version, for events that carry only a version number (promotions,
 * alias moves...). Versions are immutable but for a digest recorded later (observed too), so a cache never goes stale; a miss reads the model
 * stream up to the event, which also works when the relay starts mid-stream from a checkpoint.
 */
export class VersionFactsLookup {
  private readonly byStream = new Map<string, Map<string, VersionFacts>>();

  constructor(
    private readonly store: EventStore,
    private readonly maxStreams = 10_000,
  ) {}

  observe(e: RecordedEvent): void {
    if (e.type === 'ArtifactDigestRecorded') {
      // The one fact that may arrive after registration (MLflow path): recorded at most once.
      const d = e.data as EventDataMap['ArtifactDigestRecorded'];
      const known = this.byStream.get(e.stream)?.get(d.version);
      if (known) this.streamCache(e.stream).set(d.version, { ...known, artifact: { ...known.artifact, digest: d.digest } });
      return;
    }
    if (e.type !== 'VersionRegistered') return;
    const d = e.data as EventDataMap['VersionRegistered'];
    this.streamCache(e.stream).set(d.version, { artifact: d.artifact, ...(d.lineage?.image ? { image: d.lineage.image } : {}) });
  }

  async factsFor(e: RecordedEvent): Promise<VersionFacts | undefined> {
    const version = versionOfEvent(e);
    if (!version) return undefined;
    this.observe(e);
    const cached = this.byStream.get(e.stream)?.get(version);
    if (cached) return cached;
    for (const past of await this.store.readStream(e.stream, { toPosition: e.position })) this.observe(past);
    return this.byStream.get(e.stream)?.get(version);
  }

  /** Maps a batch in order, looking up artifacts as needed. */
  async toCloudEvents(events: readonly RecordedEvent[]): Promise<CloudEvent[]> {
    const out: CloudEvent[] = [];
    for (const e of events) out.push(toCloudEvent(e, await this.factsFor(e)));
    return out;
  }

  private streamCache(stream: string): Map<string, VersionFacts> {
    let m = this.byStream.get(stream);
    if (!m) {
      if (this.byStream.size >= this.maxStreams) this.byStream.clear();
      m = new Map();
      this.byStream.set(stream, m);
    }
    return m;
  }
}

