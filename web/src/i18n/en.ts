/** English texts. The key set here defines the shape every other locale must provide. */
export const en = {
  documentTitle: 'WebSocket Broadcast Server',
  appTitle: 'WebSocket Broadcast Server',
  appSubtitle: 'Send an event and watch it reach every other connected client in real time.',
  languageLabel: 'Language',

  statusIdle: 'Disconnected',
  statusConnecting: 'Connecting…',
  statusOpen: 'Connected',
  statusReconnecting: 'Reconnecting',
  reconnectIn: 'Reconnecting in {seconds} s',
  retryNow: 'Retry now',
  connect: 'Connect',
  disconnect: 'Disconnect',

  metricsLabel: 'Live metrics',
  metricReceived: 'Events received',
  metricSent: 'Events sent',
  metricOnline: 'Time online',
  metricOffline: '—',

  composerLabel: 'Event message',
  composerPlaceholder: 'Type an event and press Enter',
  composerOfflineHint: 'Not connected. You can send events again once the connection is back.',
  send: 'Send event',

  broadcastsTitle: 'Broadcasts',
  broadcastsHint: 'Events from other clients',
  broadcastsEmpty: 'No broadcasts yet. Events sent by other clients will show up here.',
  chatTitle: 'Chat',
  chatHint: 'Every event — yours on the right',
  chatEmpty: 'No messages yet. Say hello!',
  clear: 'Clear',
  clearBroadcasts: 'Clear broadcasts',
  clearChat: 'Clear chat',
  you: 'You',
  otherClient: 'Another client',

  dismiss: 'Dismiss',
  notificationsLabel: 'Notifications',
  errorFromServer: 'Server error: {reason}',
  errorTooLarge: 'This message is too large to send (limit {limit} KiB).',
  errorNotConnected: 'Not connected — the event was not sent.',
  closedPolicy: 'The server closed the connection (policy violation, code 1008). Reconnecting…',
  closedTooBig: 'The server closed the connection because a message was too big (code 1009). Reconnecting…',

  nameLabel: 'Display name',
  namePlaceholder: 'Your name (optional)',
  nameSave: 'Save name',
  nameSaved: 'Name saved. Others see it in the presence list.',
  nameTooLong: 'A display name can be at most {max} characters.',

  channelsTitle: 'Channels',
  channelJoinLabel: 'Join a channel',
  channelJoinPlaceholder: 'e.g. room-2',
  channelJoin: 'Join',
  channelLeave: 'Leave #{channel}',
  channelUnread: '{count} new',
  channelInvalid: 'Channel names are 1–128 characters: letters, digits and _ - . : @ /',
  channelAlreadyJoined: 'You are already in #{channel}.',
  channelRefused: 'Could not join #{channel}: {reason}',
  channelEnded: 'You were removed from #{channel}: {reason}',
  composerChannel: 'Sending to #{channel}',

  presenceTitle: 'Who is here',
  presenceCount: '{count} online',
  presenceYou: '{name} (you)',
  presenceAnonymous: 'Anonymous',
  presenceEmpty: 'Nobody else is here yet.',

  recoveredOne: 'Reconnected: recovered 1 missed event.',
  recoveredMany: 'Reconnected: recovered {count} missed events.',
  unrecovered: 'Reconnected, but some events could not be recovered (#{channels}).',
  sendFailed: 'The event could not be sent: {reason}',
  sendPending: 'Sending…',
  sendFailedLabel: 'Not sent',

  footerHealth: 'Health',
  footerDocs: 'API docs',
} as const;

export type MessageKey = keyof typeof en;
export type Messages = { readonly [K in MessageKey]: string };
