import type { AcceptedInfo } from '../transport/delivery.js';
import type { ApnsDeliveryError } from '../errors/apns-delivery.error.js';
import type { ApnsDeliveryResult, ApnsSendReport } from './apns-send-report.js';
import type { ClientDelivery } from './client-delivery.js';

/**
 * The accounting of one `send` / `sendMany` call: counts, results, and the
 * promise the caller awaits. It settles once the input is read to its end (or
 * cut off by `close()`) and every delivery taken from it has an outcome.
 */
export class SendBatch {
  sent = 0;
  accepted = 0;
  failed = 0;
  /** Deliveries without an outcome yet. */
  pending = 0;
  interrupted = false;
  readonly results: ApnsDeliveryResult[] = [];
  readonly done: Promise<ApnsSendReport>;
  private sourceDone = false;
  private settled = false;
  /** Set while `close()` runs: the report is given once it has ended. */
  private heldForClose = false;
  private sourceError: { error: unknown } | undefined;
  private resolve!: (report: ApnsSendReport) => void;
  private reject!: (error: unknown) => void;

  constructor(
    private readonly listAccepted: boolean,
    private readonly startedAt: number,
    private readonly now: () => number,
    private readonly onSettled: (batch: SendBatch) => void,
  ) {
    this.done = new Promise<ApnsSendReport>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  get isSettled(): boolean {
    return this.settled;
  }

  /** A delivery was taken from the input. */
  add(): void {
    this.sent++;
    this.pending++;
  }

  onAccepted(delivery: ClientDelivery, info: AcceptedInfo): void {
    if (this.settled) return;
    this.accepted++;
    if (this.listAccepted) {
      delivery.resultIndex = this.results.length;
      this.results.push({
        status: 'accepted',
        token: delivery.token,
        index: delivery.index,
        apnsId: info.apnsId,
        apnsUniqueId: info.apnsUniqueId,
      });
    }
    this.pending--;
    this.settleIfDone();
  }

  /**
   * `wasAccepted`: a binary delivery reported written, then rejected by Apple.
   * While the batch is open the report moves it from accepted to failed; after
   * it settled the failure reaches `errors$` only.
   */
  onFailed(delivery: ClientDelivery, error: ApnsDeliveryError, wasAccepted: boolean): void {
    if (this.settled) return;
    const result: ApnsDeliveryResult = { status: 'failed', token: delivery.token, index: delivery.index, error };
    this.failed++;
    if (wasAccepted) {
      this.accepted--;
      if (delivery.resultIndex >= 0) this.results[delivery.resultIndex] = result;
      else this.results.push(result);
      return;
    }
    this.results.push(result);
    this.pending--;
    this.settleIfDone();
  }

  /** A delivery refused before reaching the transport: counted as sent and failed at once. */
  onFailedLocally(token: string, index: number, error: ApnsDeliveryError): void {
    if (this.settled) return;
    this.sent++;
    this.failed++;
    this.results.push({ status: 'failed', token, index, error });
  }

  /** The input is read to its end, cut off by close (`interrupted`), or broke (`error`). */
  finishSource(interrupted: boolean, error?: { error: unknown }): void {
    if (interrupted) this.interrupted = true;
    if (error !== undefined && this.sourceError === undefined) this.sourceError = error;
    if (this.sourceDone) return;
    this.sourceDone = true;
    this.settleIfDone();
  }

  /**
   * `close()` started: the report waits for it to end, so that what the drain
   * cuts off (binary: written, then failed with `Shutdown` when the connection
   * was cut unconfirmed) is in the report and not on `errors$` alone.
   */
  holdForClose(): void {
    this.heldForClose = true;
  }

  /**
   * `close()` has ended: settle now, held or not. Returns how many deliveries
   * were left without an outcome, which only a broken transport contract can
   * leave (they settle as interrupted, so no caller waits forever).
   */
  settleAfterClose(): number {
    if (this.settled) return 0;
    const left = this.pending;
    if (left > 0 || !this.sourceDone) this.interrupted = true;
    this.sourceDone = true;
    this.heldForClose = false;
    this.settle();
    return left;
  }

  private settleIfDone(): void {
    if (this.pending === 0 && this.sourceDone && !this.heldForClose) this.settle();
  }

  private settle(): void {
    this.settled = true;
    this.onSettled(this);
    if (this.sourceError !== undefined) {
      this.reject(this.sourceError.error);
      return;
    }
    this.resolve({
      sent: this.sent,
      accepted: this.accepted,
      failed: this.failed,
      results: this.results,
      interrupted: this.interrupted,
      // Every item read before the cut was counted in `sent` (a malformed one too), so it is the position to resume from.
      resumeFrom: this.interrupted ? this.sent : undefined,
      durationMs: Math.max(0, this.now() - this.startedAt),
    });
  }
}
