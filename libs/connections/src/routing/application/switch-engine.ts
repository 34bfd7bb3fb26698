import { Injectable } from '@nestjs/common';
import { DomainError, mapLimit, parseSdp, SdpError, type ParsedSdp } from '#common';
import { AppConfig } from '#config';
import { isScheduled, type Activation } from '../domain/activation.js';
import { activeMismatches, planConnect, planDisconnect, type ConnectionPlan } from '../domain/connection-plan.js';
import { deviceError } from '../domain/device-errors.js';
import { BULK_UNSUPPORTED, DeviceGateway, type DeviceAnswer } from '../infra/device-gateway.js';
import type { RoutingTarget } from './target-resolver.js';

export interface SwitchItem {
  target: RoutingTarget;
  plan: ConnectionPlan;
}

export interface SwitchOutcome {
  receiver_id: string;
  /** activated: /active verified; scheduled: the device accepted a scheduled activation; failed: see error. */
  state: 'activated' | 'scheduled' | 'failed';
  device_answer?: DeviceAnswer;
  active?: Record<string, unknown>;
  error?: DomainError;
  /** The request may have reached the device (it timed out): its state is unknown. */
  uncertain?: boolean;
  /** Time spent waiting for the device. */
  device_ms: number;
}

/**
 * Talks IS-05 to receivers: plans a connect (the receiver's /constraints, the sender's SDP), sends one
 * PATCH per take or one /bulk/receivers POST per device for a salvo (single PATCHes where a device has no
 * bulk API), and verifies every immediate activation on /active. It never reports success that /active
 * does not show.
 */
@Injectable()
export class SwitchEngine {
  private readonly concurrency: number;

  constructor(
    private readonly devices: DeviceGateway,
    config: AppConfig,
  ) {
    this.concurrency = config.routing.salvoDeviceConcurrency;
  }

  /** The plan for a take: a connect (with the sender's SDP and the receiver's leg count) or a disconnect. */
  async plan(target: RoutingTarget, activation: Activation, sdpCache = new Map<string, Promise<ParsedSdp>>()): Promise<ConnectionPlan> {
    const receiverId = String(target.receiver.id);
    if (!target.sender) return planDisconnect(activation);
    const senderId = String(target.sender.id);
    let sdp = sdpCache.get(senderId);
    if (!sdp) {
      sdp = this.senderSdp(target.sender);
      sdpCache.set(senderId, sdp);
    }
    const [constraints, parsed] = await Promise.all([
      this.devices.getConstraints(target.api, receiverId).catch((err) => Promise.reject(deviceError(err, receiverId))),
      sdp,
    ]);
    if (!Array.isArray(constraints.body) || constraints.body.length === 0)
      throw new DomainError('bad_gateway', 'device_invalid_answer', `Receiver ${receiverId}'s /constraints is not a list of legs`, {
        extra: { device: constraints },
      });
    return planConnect(senderId, parsed, constraints.body.length, activation, target.legs);
  }

  /** One take: exactly one PATCH to /staged, then /active read back for an immediate activation. */
  async single(item: SwitchItem): Promise<SwitchOutcome> {
    const receiverId = String(item.target.receiver.id);
    const started = performance.now();
    let answer: DeviceAnswer;
    try {
      answer = await this.devices.patchStaged(item.target.api, receiverId, item.plan.patch);
    } catch (err) {
      const error = deviceError(err, receiverId);
      return { receiver_id: receiverId, state: 'failed', error, uncertain: error.code === 'device_timeout', device_ms: performance.now() - started };
    }
    return this.settle(item, answer, started);
  }

  /** A salvo: devices in parallel (bounded), one bulk POST each, every item verified. */
  async many(items: SwitchItem[]): Promise<SwitchOutcome[]> {
    const byDevice = new Map<string, number[]>();
    items.forEach((item, index) => byDevice.set(item.target.api.deviceId, [...(byDevice.get(item.target.api.deviceId) ?? []), index]));
    const outcomes = new Array<SwitchOutcome>(items.length);
    await mapLimit([...byDevice.values()], this.concurrency, async (indexes) => {
      const results = await this.onDevice(indexes.map((i) => items[i]));
      indexes.forEach((itemIndex, k) => (outcomes[itemIndex] = results[k]));
    });
    return outcomes;
  }

  /** Each receiver's /active now (to restore on rollback); a failure is reported per receiver. */
  async activeOf(targets: RoutingTarget[]): Promise<Array<Record<string, unknown> | DomainError>> {
    return mapLimit(targets, this.concurrency * 4, async (target) => {
      const receiverId = String(target.receiver.id);
      try {
        return (await this.devices.getActive(target.api, receiverId)).body as Record<string, unknown>;
      } catch (err) {
        return deviceError(err, receiverId);
      }
    });
  }

  /** Reads /active and compares it with the plan (after a synchronised activation's time, for instance). */
  async verify(item: SwitchItem, started = performance.now()): Promise<SwitchOutcome> {
    const receiverId = String(item.target.receiver.id);
    let active: DeviceAnswer;
    try {
      active = await this.devices.getActive(item.target.api, receiverId);
    } catch (err) {
      return { receiver_id: receiverId, state: 'failed', error: deviceError(err, receiverId), uncertain: true, device_ms: performance.now() - started };
    }
    const device_ms = performance.now() - started;
    const state = active.body as Record<string, unknown>;
    const mismatches = activeMismatches(state, item.plan.expected);
    if (mismatches.length > 0) {
      return {
        receiver_id: receiverId,
        state: 'failed',
        active: state,
        uncertain: false,
        error: new DomainError('bad_gateway', 'activation_not_verified', `Receiver ${receiverId}'s /active does not show the take: ${mismatches.join('; ')}`, {
          extra: { active: state },
        }),
        device_ms,
      };
    }
    return { receiver_id: receiverId, state: 'activated', active: state, device_ms };
  }

  private async onDevice(items: SwitchItem[]): Promise<SwitchOutcome[]> {
    const api = items[0].target.api;
    const started = performance.now();
    let answer: DeviceAnswer;
    try {
      answer = await this.devices.bulkReceivers(
        api,
        items.map((item) => ({ id: String(item.target.receiver.id), params: item.plan.patch })),
      );
    } catch (err) {
      const error = deviceError(err, String(items[0].target.receiver.id));
      return items.map((item) => ({
        receiver_id: String(item.target.receiver.id),
        state: 'failed',
        error,
        uncertain: error.code === 'device_timeout',
        device_ms: performance.now() - started,
      }));
    }
    // No bulk API on this device: the same PATCHes one by one.
    if (BULK_UNSUPPORTED.has(answer.status)) {
      const outcomes: SwitchOutcome[] = [];
      for (const item of items) outcomes.push(await this.single(item));
      return outcomes;
    }
    const results = Array.isArray(answer.body) ? (answer.body as Array<{ id?: string; code?: number; error?: string; debug?: string }>) : undefined;
    return Promise.all(
      items.map((item) => {
        const receiverId = String(item.target.receiver.id);
        const result = results?.find((r) => r.id === receiverId);
        const code = answer.status >= 300 ? answer.status : (result?.code ?? 0);
        const itemAnswer = { status: code, body: result ?? answer.body };
        if (code === 200 || code === 202) return this.settle(item, itemAnswer, started);
        const error =
          code === 423
            ? new DomainError('locked', 'device_locked', `Receiver ${receiverId}'s device refused: a scheduled activation is pending on it`, {
                extra: { device: itemAnswer },
              })
            : new DomainError('bad_gateway', 'device_refused', `Receiver ${receiverId}'s device refused it in its bulk answer (${code || 'no result'})`, {
                extra: { device: itemAnswer },
              });
        return { receiver_id: receiverId, state: 'failed' as const, device_answer: itemAnswer, error, device_ms: performance.now() - started };
      }),
    );
  }

  private async settle(item: SwitchItem, answer: DeviceAnswer, started: number): Promise<SwitchOutcome> {
    const activation = item.plan.patch.activation as Activation;
    if (isScheduled(activation)) {
      return { receiver_id: String(item.target.receiver.id), state: 'scheduled', device_answer: answer, device_ms: performance.now() - started };
    }
    return { ...(await this.verify(item, started)), device_answer: answer };
  }

  private async senderSdp(sender: Record<string, unknown>): Promise<ParsedSdp> {
    const href = sender.manifest_href;
    if (typeof href !== 'string' || href === '')
      throw new DomainError('conflict', 'no_transport_file', `Sender ${String(sender.id)} publishes no manifest_href (no SDP to send)`);
    let text: string;
    try {
      text = await this.devices.fetchText(href);
    } catch (err) {
      throw deviceError(err, { sender: String(sender.id) });
    }
    try {
      return parseSdp(text);
    } catch (err) {
      if (err instanceof SdpError) throw new DomainError('bad_gateway', 'invalid_sdp', `Sender ${String(sender.id)}'s SDP ${err.message}`);
      throw err;
    }
  }
}
