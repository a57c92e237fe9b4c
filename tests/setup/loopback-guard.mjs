// Loopback only, enforced: every outgoing TCP connection and UDP datagram of the test process,
// and of every Node program it starts (the runtime, stand-ins), must go to 127.0.0.0/8 or ::1. Anything else is refused before a packet leaves and recorded,
// so a probe that would contact a hijacked DNS answer (the lab's 10.10.34.35) or a public mirror
// fails the run loudly instead of turning into a quiet "unreachable" verdict.
import dgram from 'node:dgram';
import dns from 'node:dns';
import { appendFileSync } from 'node:fs';
import net from 'node:net';

const violations = [];

export function isLoopback(address) {
  const ip = String(address)
    .replace(/^\[|\]$/g, '')
    .replace(/^::ffff:/i, '');
  return net.isIPv4(ip) ? ip.startsWith('127.') : ip === '::1';
}

function refuse(what) {
  const message = `loopback guard: ${what} is outside 127.0.0.0/8 and ::1`;
  violations.push(message);
  // In a program a test started (NODE_OPTIONS=--import this file), the test process reads them here.
  if (process.env.GOPROXYGUARD_LOOPBACK_LOG) {
    appendFileSync(process.env.GOPROXYGUARD_LOOPBACK_LOG, `${message} (pid ${process.pid})\n`);
  }
  return Object.assign(new Error(message), { code: 'ELOOPBACKONLY' });
}

/** The violations so far, cleared (for the guard's own test). */
export function takeViolations() {
  return violations.splice(0);
}

/** Checks names after they are resolved, addresses before anything is sent. */
function guardLookup(lookup = dns.lookup) {
  return (host, options, callback) => {
    const done = typeof options === 'function' ? options : callback;
    const opts = typeof options === 'function' ? {} : options;
    lookup(host, opts, (error, address, family) => {
      if (error) return done(error, address, family);
      const all = Array.isArray(address) ? address.map((a) => a.address) : [address];
      const outside = all.find((a) => !isLoopback(a));
      if (outside) return done(refuse(`${host} resolved to ${outside}`));
      done(null, address, family);
    });
  };
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(...args) {
  let first = args[0];
  if (Array.isArray(first)) first = first[0]; // net.connect passes its normalized arguments
  if (first && typeof first === 'object' && !first.path) {
    const host = first.host ?? 'localhost';
    if (net.isIP(host.replace(/^\[|\]$/g, ''))) {
      if (!isLoopback(host)) throw refuse(`a connection to ${host}:${first.port}`);
    } else {
      first.lookup = guardLookup(first.lookup);
    }
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    const host = typeof args[1] === 'string' ? args[1] : 'localhost';
    if (net.isIP(host) && !isLoopback(host)) throw refuse(`a connection to ${host}:${first}`);
  }
  return connect.apply(this, args);
};

for (const method of ['send', 'connect']) {
  const original = dgram.Socket.prototype[method];
  dgram.Socket.prototype[method] = function guardedDatagram(...args) {
    const outside = args.find((a) => typeof a === 'string' && net.isIP(a) && !isLoopback(a));
    if (outside) throw refuse(`a datagram to ${outside}`);
    return original.apply(this, args);
  };
}
