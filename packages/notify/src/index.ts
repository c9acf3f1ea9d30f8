export type { DiscordOptions } from './discord.js'
export { discord } from './discord.js'
export type {
  DeliveryErrorCode,
  DeliveryErrorDetails,
  NotifyErrorCode,
  WebhookVerificationReason,
} from './errors.js'
export { DeliveryError, NotifyError, WebhookVerificationError } from './errors.js'
export type { FromEnvOptions } from './from-env.js'
export { fromEnv } from './from-env.js'
export type { LoggerChannelOptions } from './logger-channel.js'
export { logger } from './logger-channel.js'
export type { CloseOptions, Notifier, NotifierErrorListener, NotifyEvent, NotifySource } from './notifier.js'
export { createNotifier } from './notifier.js'
export type { DedupeOptions, NotifierOptions, NotifyEventName, RateOptions } from './options.js'
export { DEFAULTS } from './options.js'
export { redactUrl } from './redact.js'
export type { HeadersLike, SignWebhookInput, VerifyWebhookOptions } from './signature.js'
export { generateWebhookSecret, signWebhook, verifyWebhook } from './signature.js'
export type { SlackOptions } from './slack.js'
export { slack } from './slack.js'
export { formatText } from './text.js'
export type {
  BackoffOptions,
  BanNotification,
  BlockNotification,
  Channel,
  ChannelFunction,
  ChannelStats,
  DeliveryOptions,
  DeliveryOverrides,
  Digest,
  DigestNotification,
  Notification,
  NotifierStats,
  SendContext,
  UnbanNotification,
  UnblockNotification,
  WarnLogger,
} from './types.js'
export type { WebhookOptions, WebhookPayload } from './webhook.js'
export { webhook } from './webhook.js'
