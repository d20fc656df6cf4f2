// Rondevu demo: signaling through this server, chat over an RTCDataChannel.
// No build step, no dependencies: the API is the page's own origin.
import { createBloom, toBase64 } from './bloom.js';

const API = location.origin;
const POLL_MS = 1000;     // pause after a failed request
const WAIT_SECONDS = 10;  // long poll: the server answers as soon as there is news
// No STUN/TURN: host candidates only, so two tabs on one machine connect without any network.
const RTC_CONFIG = { iceServers: [] };

const $ = (id) => document.getElementById(id);

let credentials = null;          // { peerId, secret }
const seenPeers = new Set();     // peers we already answered or were answered by
let session = null;              // the one connection of this page

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function call(method, path, body, { auth = true, signal } = {}) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (auth) headers.Authorization = `Bearer ${credentials.peerId}:${credentials.secret}`;
  const response = await fetch(API + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, data.error ?? response.statusText);
  return data;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- UI helpers -------------------------------------------------------------------------------

function log(text) {
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  $('log').prepend(item);
}

function showError(text) {
  $('error').textContent = text;
  $('error').hidden = !text;
  if (text) log(`error: ${text}`);
}

function setState(id, value) {
  $(id).textContent = value;
  $(id).dataset.state = value;
}

function addChat(from, text) {
  const item = document.createElement('li');
  item.dataset.testid = 'chat-message';
  item.dataset.from = from;
  item.className = from;
  item.textContent = `${from === 'me' ? 'me' : 'peer'}: ${text}`;
  $('chat-log').append(item);
}

function updateControls() {
  const open = session?.channel?.readyState === 'open';
  $('chat-input').disabled = !open;
  $('chat-send').disabled = !open;
  $('hangup').disabled = !session;
  $('publish').disabled = !!session;
  for (const button of document.querySelectorAll('[data-testid="answer-button"]')) button.disabled = !!session;
}

// ---- Registration -----------------------------------------------------------------------------

async function ensureRegistered() {
  if (credentials) return credentials;
  credentials = await call('POST', '/register', {}, { auth: false });
  $('peer-id').textContent = credentials.peerId;
  $('peer-id').dataset.peerId = credentials.peerId;
  log(`registered as ${credentials.peerId}`);
  return credentials;
}

// ---- One WebRTC session (offerer or answerer) ---------------------------------------------------

function startSession(role) {
  const pc = new RTCPeerConnection(RTC_CONFIG);
  const current = {
    role, pc, channel: null, offerId: null, ready: false, pending: [], posting: null,
    held: null, closed: false, startedAt: performance.now(),
  };
  session = current;
  $('role').textContent = role;
  setState('connection-state', pc.connectionState);
  setState('channel-state', 'none');
  $('connect-time').textContent = '';
  showError('');

  pc.onicecandidate = ({ candidate }) => {
    if (candidate && candidate.candidate) {
      log(`local candidate ${candidate.address ?? '?'}:${candidate.port ?? '?'} ${candidate.protocol ?? ''} ${candidate.type ?? ''}`);
      current.pending.push(candidate.toJSON());
      postCandidates(current);
    }
  };
  pc.onconnectionstatechange = () => {
    if (current.closed) return;
    setState('connection-state', pc.connectionState);
    log(`connection ${pc.connectionState}`);
    if (pc.connectionState === 'connected') {
      $('connect-time').textContent = `${Math.round(performance.now() - current.startedAt)} ms`;
      current.held?.abort();  // no more candidates needed
    }
  };
  pc.ondatachannel = ({ channel }) => wireChannel(current, channel);
  updateControls();
  return current;
}

function wireChannel(current, channel) {
  current.channel = channel;
  const update = () => {
    if (current.closed) return;
    setState('channel-state', channel.readyState);
    updateControls();
  };
  channel.onopen = () => { update(); log('data channel open'); };
  channel.onclose = () => { update(); log('data channel closed'); };
  channel.onmessage = ({ data }) => addChat('peer', String(data));
  update();
}

const active = (current) => session === current && !current.closed;

/** A GET held by the server until there is news (or WAIT_SECONDS pass); closing the session cancels it. */
async function longPoll(current, path) {
  current.held = new AbortController();
  try {
    return await call('GET', `${path}&wait=${WAIT_SECONDS}`, undefined, { signal: current.held.signal });
  } finally {
    current.held = null;
  }
}

/** Sends gathered candidates once the offer id is known (and, for the answerer, the answer accepted). */
async function postCandidates(current) {
  if (!current.ready || current.posting || current.pending.length === 0) return;
  const candidates = current.pending.splice(0);
  current.posting = call('POST', `/offers/${current.offerId}/ice-candidates`, { candidates })
    .then(() => log(`sent ${candidates.length} ICE candidate(s)`))
    .catch((error) => active(current) && log(`sending candidates failed: ${error.message}`));
  await current.posting;
  current.posting = null;
  postCandidates(current);
}

const connecting = (current) => active(current) && !['connected', 'failed', 'closed'].includes(current.pc.connectionState);

/** Reads the other side's candidates until the connection is up (or gone). */
async function pollCandidates(current) {
  let since = 0;
  while (connecting(current)) {
    try {
      const { candidates } = await longPoll(current, `/offers/${current.offerId}/ice-candidates?since=${since}`);
      for (const item of candidates) {
        since = Math.max(since, item.createdAt);
        if (active(current)) await current.pc.addIceCandidate(item.candidate);
      }
      if (candidates.length) log(`received ${candidates.length} ICE candidate(s)`);
    } catch (error) {
      if (!connecting(current)) return;
      log(`polling candidates failed: ${error.message}`);
      await sleep(POLL_MS);
    }
  }
}

async function publish(event) {
  event.preventDefault();
  if (session) return;
  const topics = $('publish-topics').value.split(',').map((t) => t.trim()).filter(Boolean);
  const secret = $('publish-secret').value;
  const info = $('publish-info').value.trim();
  let current = null;
  try {
    await ensureRegistered();
    current = startSession('offerer');
    wireChannel(current, current.pc.createDataChannel('chat'));
    await current.pc.setLocalDescription(await current.pc.createOffer());

    const offer = { sdp: current.pc.localDescription.sdp, topics, ttl: 300000 };
    if (secret) offer.secret = secret;
    if (info) offer.info = info;
    $('signaling-state').textContent = 'publishing';
    const { offers: [created] } = await call('POST', '/offers', { offers: [offer] });
    current.offerId = created.id;
    current.ready = true;
    $('offer-id').textContent = created.id;
    $('offer-id').dataset.offerId = created.id;
    $('signaling-state').textContent = 'waiting for an answer';
    log(`published offer ${created.id} on ${topics.join(', ')}`);
    postCandidates(current);
    await waitForAnswer(current);
  } catch (error) {
    showError(`Publishing failed: ${error.message}`);
    if (current) closeSession(current);
  }
}

async function waitForAnswer(current) {
  let since = 0;
  let answer = null;
  while (!answer && active(current)) {
    try {
      const { answers } = await longPoll(current, `/offers/answers?since=${since}`);
      since = Math.max(since, ...answers.map((a) => a.answeredAt));
      answer = answers.find((a) => a.offerId === current.offerId);
    } catch (error) {
      if (!active(current)) return;
      log(`polling answers failed: ${error.message}`);
      await sleep(POLL_MS);
    }
  }
  if (!answer) return;
  seenPeers.add(answer.answererId);
  log(`answered by ${answer.answererId}`);
  $('signaling-state').textContent = 'answered: exchanging ICE';
  await current.pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
  await pollCandidates(current);
  if (active(current)) $('signaling-state').textContent = 'done';
}

async function answer(offer, secret) {
  if (session) return;
  let current = null;
  try {
    await ensureRegistered();
    current = startSession('answerer');
    current.offerId = offer.id;
    await current.pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
    await current.pc.setLocalDescription(await current.pc.createAnswer());
    $('signaling-state').textContent = 'answering';
    const body = { sdp: current.pc.localDescription.sdp };
    if (secret) body.secret = secret;
    await call('POST', `/offers/${offer.id}/answer`, body);
  } catch (error) {
    const reason = error.status === 403 ? 'wrong or missing secret' : error.message;
    showError(`Answer refused (${error.status ?? 'error'}): ${reason}`);
    if (current) closeSession(current, { keepError: true });
    return;
  }
  seenPeers.add(offer.peerId);
  current.ready = true;
  $('offer-id').textContent = offer.id;
  $('signaling-state').textContent = 'answered: exchanging ICE';
  log(`answered offer ${offer.id} of ${offer.peerId}`);
  postCandidates(current);
  await pollCandidates(current);
  if (active(current)) $('signaling-state').textContent = 'done';
}

function closeSession(current, { keepError = false } = {}) {
  if (current.closed) return;
  current.closed = true;
  current.held?.abort();
  current.channel?.close();
  current.pc.close();
  if (current.role === 'offerer' && current.offerId) {
    call('DELETE', `/offers/${current.offerId}`).catch(() => {});
  }
  if (session === current) session = null;
  $('role').textContent = 'none';
  $('signaling-state').textContent = 'idle';
  setState('connection-state', 'closed');
  setState('channel-state', 'none');
  if (!keepError) showError('');
  updateControls();
}

// ---- Topics and discovery -----------------------------------------------------------------------

async function refreshTopics() {
  try {
    const { topics, total } = await call('GET', '/topics?limit=50', undefined, { auth: false });
    const list = $('topics');
    list.replaceChildren(...topics.map(({ topic, activePeers }) => {
      const item = document.createElement('li');
      item.dataset.testid = 'topic';
      item.dataset.topic = topic;
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = `${topic} (${activePeers} peer${activePeers === 1 ? '' : 's'})`;
      button.onclick = () => { $('discover-topic').value = topic; discover(); };
      item.append(button);
      return item;
    }));
    if (topics.length === 0) list.innerHTML = '<li>No topics with live offers yet.</li>';
    log(`${total} topic(s)`);
  } catch (error) {
    showError(`Listing topics failed: ${error.message}`);
  }
}

async function discover(event) {
  event?.preventDefault();
  const topic = $('discover-topic').value.trim();
  if (!topic) return;
  let query = '?limit=20';
  if ($('discover-hide-seen').checked) {
    const hidden = [...seenPeers];
    if (credentials) hidden.push(credentials.peerId);
    if (hidden.length) query += `&bloom=${encodeURIComponent(toBase64(createBloom(hidden)))}`;
  }
  try {
    const result = await call('GET', `/offers/by-topic/${encodeURIComponent(topic)}${query}`, undefined, { auth: false });
    $('discover-summary').textContent = `${result.returned} shown of ${result.total} live offer(s) on "${result.topic}"`;
    $('offers').replaceChildren(...result.offers.map(renderOffer));
    updateControls();
  } catch (error) {
    showError(`Discovery failed: ${error.message}`);
  }
}

function renderOffer(offer) {
  const item = document.createElement('li');
  item.dataset.testid = 'offer';
  item.dataset.offerId = offer.id;
  item.dataset.peerId = offer.peerId;
  item.dataset.hasSecret = String(offer.hasSecret);

  const title = document.createElement('span');
  title.textContent = `${offer.hasSecret ? '🔒 ' : ''}peer ${offer.peerId.slice(0, 8)}… · ${offer.topics.join(', ')}`;
  item.append(title);
  if (offer.info) {
    const info = document.createElement('em');
    info.dataset.testid = 'offer-info';
    info.textContent = ` “${offer.info}”`;
    item.append(info);
  }
  let secret = null;
  if (offer.hasSecret) {
    secret = document.createElement('input');
    secret.dataset.testid = 'answer-secret';
    secret.placeholder = 'secret';
    secret.autocomplete = 'off';
    item.append(' ', secret);
  }
  const button = document.createElement('button');
  button.type = 'button';
  button.dataset.testid = 'answer-button';
  button.textContent = 'Answer';
  button.onclick = () => answer(offer, secret?.value ?? '');
  item.append(' ', button);
  return item;
}

// ---- Chat ---------------------------------------------------------------------------------------

function send(event) {
  event.preventDefault();
  const text = $('chat-input').value;
  if (!text || session?.channel?.readyState !== 'open') return;
  session.channel.send(text);
  addChat('me', text);
  $('chat-input').value = '';
}

// ---- Wiring -------------------------------------------------------------------------------------

$('register').onclick = () => ensureRegistered().catch((error) => showError(`Registration failed: ${error.message}`));
$('publish-form').onsubmit = publish;
$('topics-refresh').onclick = refreshTopics;
$('discover-form').onsubmit = discover;
$('chat-form').onsubmit = send;
$('hangup').onclick = () => session && closeSession(session);
addEventListener('pagehide', () => session && closeSession(session));
document.body.dataset.ready = 'true';
