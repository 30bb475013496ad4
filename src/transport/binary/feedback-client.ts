import type { SecureContext, TLSSocket } from 'node:tls';
import { FeedbackDecoder } from '../../codec/feedback-decoder.js';
import { ApnsConnectionError } from '../../errors/apns-connection.error.js';
import type { ApnsFeedback } from '../delivery.js';
import type { TransportConfig } from '../transport-config.js';
import { certificateRejected, CLOSED_AFTER_HANDSHAKE, connectTls, createClientSecureContext, endpointName, toConnectionError } from './binary-tls.js';

/**
 * Reads Apple's feedback service: connects with the transport's certificate to
 * `config.feedbackEndpoint`, reads (time, token) tuples until the server closes,
 * and returns them with lowercase hex tokens.
 *
 * Old servers differ on whether they close after the list (some keep the
 * socket open with nothing more to say), so reading also ends after
 * `binary.feedbackIdleTimeoutMs` without a byte. That is an idle timeout, not a
 * deadline: a long list trickling in is read whole.
 *
 * The service forgets what it has sent, so whatever arrived before a broken
 * connection is returned (and the break logged) rather than thrown away. An
 * error before any byte arrived rejects with an `ApnsConnectionError`.
 */
export class FeedbackClient {
  constructor(
    private readonly config: TransportConfig,
    private readonly secureContext: () => SecureContext,
  ) {}

  async read(): Promise<ApnsFeedback[]> {
    const { config } = this;
    const endpoint = config.feedbackEndpoint;
    let socket: TLSSocket;
    try {
      socket = await connectTls(endpoint, config.tls, this.secureContext(), config.connectTimeoutMs);
    } catch (error) {
      if (!(error instanceof ApnsConnectionError) || error.code !== CLOSED_AFTER_HANDSHAKE) throw error;
      return this.emptyOrRejected(error);
    }
    return new Promise<ApnsFeedback[]>((resolve, reject) => this.collect(socket, resolve, reject));
  }

  /**
   * Over TLS 1.3 an empty list and a rejected client certificate look the same
   * (the server closes right after the handshake). TLS 1.2 checks the
   * certificate inside the handshake, so one more connection capped at 1.2
   * tells them apart: a handshake failure there is the certificate; a clean
   * close is an empty list. The list is cleared on read, so asking twice loses nothing.
   */
  private async emptyOrRejected(first: ApnsConnectionError): Promise<ApnsFeedback[]> {
    const { config } = this;
    const endpoint = config.feedbackEndpoint;
    let socket: TLSSocket;
    try {
      // The version cap lives in the TLS context, so this rare path builds its own.
      const tls12 = createClientSecureContext(config.tls, endpoint, 'TLSv1.2');
      socket = await connectTls(endpoint, config.tls, tls12, config.connectTimeoutMs);
    } catch (error) {
      const code = error instanceof ApnsConnectionError ? error.code : '';
      if (/PROTOCOL|VERSION/.test(code)) {
        // A TLS 1.3-only server: nothing tells the two apart; the gateway reports a bad certificate loudly anyway.
        config.logger.debug?.(`feedback: ${endpointName(endpoint)} closed right after the handshake: taking it as an empty list`);
        return [];
      }
      if (error instanceof ApnsConnectionError && error.permanent) throw error;
      throw certificateRejected(first, endpoint, 2);
    }
    return new Promise<ApnsFeedback[]>((resolve, reject) => this.collect(socket, resolve, reject));
  }

  private collect(socket: TLSSocket, resolve: (entries: ApnsFeedback[]) => void, reject: (error: ApnsConnectionError) => void): void {
    const { config } = this;
    const name = endpointName(config.feedbackEndpoint);
    const decoder = new FeedbackDecoder();
    const entries: ApnsFeedback[] = [];
    let bytes = 0;
    let failure: ApnsConnectionError | undefined;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      socket.setTimeout(0);
      socket.destroy();
      const { danglingBytes } = decoder.finish();
      if (danglingBytes > 0) {
        config.logger.warn(`feedback: ${name} ended inside a tuple; ${danglingBytes} byte(s) of it were dropped`);
      }
      if (failure && bytes === 0) {
        reject(failure);
        return;
      }
      if (failure) {
        config.logger.warn(`feedback: reading ${name} broke off after ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}: ${failure.message}`);
      }
      resolve(entries);
    };
    socket.setTimeout(config.binary.feedbackIdleTimeoutMs, () => {
      config.logger.debug?.(`feedback: ${name} sent nothing for ${config.binary.feedbackIdleTimeoutMs} ms; taking the list as complete`);
      finish();
    });
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      for (const event of decoder.push(chunk)) {
        if (event.kind === 'tuple') entries.push({ token: event.token, timestamp: event.timestamp });
        else config.logger.warn(`feedback: ${name} sent a malformed tuple (${event.detail}); skipped`);
      }
    });
    socket.on('error', (error: Error) => {
      failure ??= toConnectionError(config.feedbackEndpoint, error);
    });
    socket.on('end', finish);
    socket.on('close', finish);
    if (socket.destroyed) queueMicrotask(finish);
  }
}
