// Rondevu demo: signaling through this server, chat over an RTCDataChannel.
// No build step, no dependencies: the API is the page's own origin.
import { createBloom, toBase64 } from './bloom.js';

const API = location.origin;
const POLL_MS = 1000;     // pause after a failed request
const WAIT_SECONDS = 10;  // long poll: the server answers as soon as there is news
// No STUN/TURN: host candidates only, so two tabs on one machine connect without any network.
const RTC_CONFIG = { iceServers: [] };

const $ = (id) => document.getElementById(id);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let credentials = null;          // { peerId, secret }
const seenPeers = new Set();     // peers we already answered or were answered by
let session = null;              // the one connection of this page

async function call(method, path, body, { auth = true, signal } = {}) {
  const headers = body === undefined ? {} : { 'Content-Type': 'application/json' };
  if (auth) headers.Authorization = `Bearer ${credentials.peerId}:${credentials.secret}`;
  const response = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(data.error ?? response.statusText), { status: response.status });
  return data;
}

const publicGet = (path) => call('GET', path, undefined, { auth: false });

// ---- UI helpers -------------------------------------------------------------------------------

/** A new element: its properties, its data-* attributes, then its children. */
function el(tag, properties = {}, dataset = {}, ...children) {
  const element = Object.assign(document.createElement(tag), properties);
  Object.assign(element.dataset, dataset);
  element.append(...children);
  return element;
}

const log = (text) => $('log').prepend(el('li', { textContent: `${new Date().toLocaleTimeString()} ${text}` }));

function showError(text) {
  $('error').textContent = text;
  $('error').hidden = !text;
  if (text) log(`error: ${text}`);
}

/** `action` with its failure shown as "<what> failed: <message>". */
const reporting = (what, action) => (...args) => action(...args).catch((error) => showError(`${what} failed: ${error.message}`));

/** Shows a value as text and in a data attribute, where tests and styles read it. */
function show(id, value, attribute = 'state') {
  $(id).textContent = value;
  $(id).dataset[attribute] = value;
}

const setSignaling = (text) => { $('signaling-state').textContent = text; };

function showSession(role, connection) {
  $('role').textContent = role;
  show('connection-state', connection);
  show('channel-state', 'none');
}

const addChat = (from, text) =>
  $('chat-log').append(el('li', { className: from, textContent: `${from === 'me' ? 'me' : 'peer'}: ${text}` }, { testid: 'chat-message', from }));

function updateControls() {
  const open = session?.channel?.readyState === 'open';
  $('chat-input').disabled = $('chat-send').disabled = !open;
  $('hangup').disabled = !session;
  for (const control of [$('publish'), ...document.querySelectorAll('[data-testid="answer-button"]')]) control.disabled = !!session;
}

async function ensureRegistered() {
  if (credentials) return credentials;
  credentials = await call('POST', '/register', {}, { auth: false });
  show('peer-id', credentials.peerId, 'peerId');
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
  showSession(role, pc.connectionState);
  $('connect-time').textContent = '';
  showError('');

  pc.onicecandidate = ({ candidate }) => {
    if (!candidate?.candidate) return;
    log(`local candidate ${candidate.address ?? '?'}:${candidate.port ?? '?'} ${candidate.protocol ?? ''} ${candidate.type ?? ''}`);
    current.pending.push(candidate.toJSON());
    postCandidates(current);
  };
  pc.onconnectionstatechange = () => {
    if (current.closed) return;
    show('connection-state', pc.connectionState);
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
    show('channel-state', channel.readyState);
    updateControls();
  };
  channel.onopen = channel.onclose = ({ type }) => { update(); log(`data channel ${type === 'open' ? 'open' : 'closed'}`); };
  channel.onmessage = ({ data }) => addChat('peer', String(data));
  update();
}

const active = (current) => session === current && !current.closed;
const connecting = (current) => active(current) && !['connected', 'failed', 'closed'].includes(current.pc.connectionState);

/**
 * While `wanted()`: a GET of `path()` held by the server until there is news (or WAIT_SECONDS pass), its result
 * handed to `handle`. Closing the session cancels the held GET; a failure is logged and retried.
 */
async function pollWhile(current, what, wanted, path, handle) {
  while (wanted()) {
    try {
      const { signal } = (current.held = new AbortController());
      const result = await call('GET', `${path()}&wait=${WAIT_SECONDS}`, undefined, { signal }).finally(() => { current.held = null; });
      await handle(result);
    } catch (error) {
      if (!wanted()) return;
      log(`polling ${what} failed: ${error.message}`);
      await sleep(POLL_MS);
    }
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

/** Once answered, both sides trickle their candidates and read the other's until the connection is up (or gone). */
async function exchangeCandidates(current) {
  setSignaling('answered: exchanging ICE');
  postCandidates(current);
  let since = 0;
  await pollWhile(current, 'candidates', () => connecting(current), () => `/offers/${current.offerId}/ice-candidates?since=${since}`, async ({ candidates }) => {
    for (const item of candidates) {
      since = Math.max(since, item.createdAt);
      if (active(current)) await current.pc.addIceCandidate(item.candidate);
    }
    if (candidates.length) log(`received ${candidates.length} ICE candidate(s)`);
  });
  if (active(current)) setSignaling('done');
}

/** Runs one side's signaling in a new session (one at a time); a failure is shown and ends the session. */
async function runSession(role, signal, failure, { keepError = false } = {}) {
  if (session) return;
  let current = null;
  try {
    await ensureRegistered();
    current = startSession(role);
    await signal(current);
  } catch (error) {
    showError(failure(error));
    if (current) closeSession(current, { keepError });
  }
}

function publish(event) {
  event.preventDefault();
  const topics = $('publish-topics').value.split(',').map((t) => t.trim()).filter(Boolean);
  const secret = $('publish-secret').value;
  const info = $('publish-info').value.trim();
  return runSession('offerer', async (current) => {
    wireChannel(current, current.pc.createDataChannel('chat'));
    await current.pc.setLocalDescription(await current.pc.createOffer());
    const offer = { sdp: current.pc.localDescription.sdp, topics, ttl: 300000, ...(secret && { secret }), ...(info && { info }) };
    setSignaling('publishing');
    const { offers: [created] } = await call('POST', '/offers', { offers: [offer] });
    current.offerId = created.id;
    current.ready = true;
    show('offer-id', created.id, 'offerId');
    setSignaling('waiting for an answer');
    log(`published offer ${created.id} on ${topics.join(', ')}`);
    postCandidates(current);
    let since = 0;
    let answered = null;
    await pollWhile(current, 'answers', () => !answered && active(current), () => `/offers/answers?since=${since}`, ({ answers }) => {
      since = Math.max(since, ...answers.map((a) => a.answeredAt));
      answered = answers.find((a) => a.offerId === current.offerId);
    });
    if (!answered) return;
    seenPeers.add(answered.answererId);
    log(`answered by ${answered.answererId}`);
    await current.pc.setRemoteDescription({ type: 'answer', sdp: answered.sdp });
    await exchangeCandidates(current);
  }, (error) => `Publishing failed: ${error.message}`);
}

const answer = (offer, secret) => runSession('answerer', async (current) => {
  current.offerId = offer.id;
  await current.pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
  await current.pc.setLocalDescription(await current.pc.createAnswer());
  setSignaling('answering');
  await call('POST', `/offers/${offer.id}/answer`, { sdp: current.pc.localDescription.sdp, ...(secret && { secret }) });
  seenPeers.add(offer.peerId);
  current.ready = true;
  $('offer-id').textContent = offer.id;
  log(`answered offer ${offer.id} of ${offer.peerId}`);
  await exchangeCandidates(current);
}, (error) => `Answer refused (${error.status ?? 'error'}): ${error.status === 403 ? 'wrong or missing secret' : error.message}`, { keepError: true });

function closeSession(current, { keepError = false } = {}) {
  if (current.closed) return;
  current.closed = true;
  current.held?.abort();
  current.channel?.close();
  current.pc.close();
  if (current.role === 'offerer' && current.offerId) call('DELETE', `/offers/${current.offerId}`).catch(() => {});
  if (session === current) session = null;
  showSession('none', 'closed');
  setSignaling('idle');
  if (!keepError) showError('');
  updateControls();
}

// ---- Topics and discovery -----------------------------------------------------------------------

const refreshTopics = reporting('Listing topics', async () => {
  const { topics, total } = await publicGet('/topics?limit=50');
  $('topics').replaceChildren(...topics.map(({ topic, activePeers }) => el('li', {}, { testid: 'topic', topic }, el('button', {
    type: 'button', textContent: `${topic} (${activePeers} peer${activePeers === 1 ? '' : 's'})`,
    onclick: () => { $('discover-topic').value = topic; discover(); },
  }))));
  if (topics.length === 0) $('topics').innerHTML = '<li>No topics with live offers yet.</li>';
  log(`${total} topic(s)`);
});

const discover = reporting('Discovery', async (event) => {
  event?.preventDefault();
  const topic = $('discover-topic').value.trim();
  if (!topic) return;
  // "Hide seen" leaves out, through a Bloom filter of their ids, the peers met before and this page itself.
  const hidden = $('discover-hide-seen').checked ? [...seenPeers, ...(credentials ? [credentials.peerId] : [])] : [];
  const query = `?limit=20${hidden.length ? `&bloom=${encodeURIComponent(toBase64(createBloom(hidden)))}` : ''}`;
  const result = await publicGet(`/offers/by-topic/${encodeURIComponent(topic)}${query}`);
  $('discover-summary').textContent = `${result.returned} shown of ${result.total} live offer(s) on "${result.topic}"`;
  $('offers').replaceChildren(...result.offers.map(renderOffer));
  updateControls();
});

function renderOffer(offer) {
  const secret = offer.hasSecret ? el('input', { placeholder: 'secret', autocomplete: 'off' }, { testid: 'answer-secret' }) : null;
  return el('li', {}, { testid: 'offer', offerId: offer.id, peerId: offer.peerId, hasSecret: String(offer.hasSecret) },
    el('span', { textContent: `${offer.hasSecret ? '🔒 ' : ''}peer ${offer.peerId.slice(0, 8)}… · ${offer.topics.join(', ')}` }),
    ...(offer.info ? [el('em', { textContent: ` “${offer.info}”` }, { testid: 'offer-info' })] : []),
    ...(secret ? [' ', secret] : []),
    ' ',
    el('button', { type: 'button', textContent: 'Answer', onclick: () => answer(offer, secret?.value ?? '') }, { testid: 'answer-button' }));
}

function send(event) {
  event.preventDefault();
  const text = $('chat-input').value;
  if (!text || session?.channel?.readyState !== 'open') return;
  session.channel.send(text);
  addChat('me', text);
  $('chat-input').value = '';
}

// ---- Wiring -------------------------------------------------------------------------------------

$('register').onclick = reporting('Registration', ensureRegistered);
$('publish-form').onsubmit = publish;
$('topics-refresh').onclick = refreshTopics;
$('discover-form').onsubmit = discover;
$('chat-form').onsubmit = send;
$('hangup').onclick = () => session && closeSession(session);
addEventListener('pagehide', () => session && closeSession(session));
document.body.dataset.ready = 'true';
