import type { Messages } from './en';

/** Portuguese (Brazil): the language of the original app. */
export const ptBR: Messages = {
  documentTitle: 'Servidor de Broadcast WebSocket',
  appTitle: 'Servidor de Broadcast WebSocket',
  appSubtitle: 'Envie um evento e veja-o chegar em tempo real a todos os outros clientes conectados.',
  languageLabel: 'Idioma',

  statusIdle: 'Desconectado',
  statusConnecting: 'Conectando…',
  statusOpen: 'Conectado',
  statusReconnecting: 'Reconectando',
  reconnectIn: 'Reconectando em {seconds} s',
  retryNow: 'Tentar agora',
  connect: 'Conectar',
  disconnect: 'Desconectar',

  metricsLabel: 'Métricas em tempo real',
  metricReceived: 'Eventos recebidos',
  metricSent: 'Eventos enviados',
  metricOnline: 'Tempo online',
  metricOffline: '—',

  composerLabel: 'Mensagem do evento',
  composerPlaceholder: 'Digite um evento e pressione Enter',
  composerOfflineHint: 'Sem conexão. Você poderá enviar eventos assim que a conexão voltar.',
  send: 'Enviar evento',

  broadcastsTitle: 'Broadcasts',
  broadcastsHint: 'Eventos de outros clientes',
  broadcastsEmpty: 'Nenhum broadcast ainda. Os eventos enviados por outros clientes aparecerão aqui.',
  chatTitle: 'Chat',
  chatHint: 'Todos os eventos — os seus à direita',
  chatEmpty: 'Nenhuma mensagem ainda. Diga olá!',
  clear: 'Limpar',
  clearBroadcasts: 'Limpar broadcasts',
  clearChat: 'Limpar chat',
  you: 'Você',
  otherClient: 'Outro cliente',

  dismiss: 'Fechar',
  notificationsLabel: 'Notificações',
  errorFromServer: 'Erro do servidor: {reason}',
  errorTooLarge: 'Esta mensagem é grande demais para enviar (limite de {limit} KiB).',
  errorNotConnected: 'Sem conexão — o evento não foi enviado.',
  closedPolicy: 'O servidor encerrou a conexão (violação de política, código 1008). Reconectando…',
  closedTooBig: 'O servidor encerrou a conexão porque uma mensagem era grande demais (código 1009). Reconectando…',

  footerHealth: 'Saúde',
  footerDocs: 'Documentação da API',
};
