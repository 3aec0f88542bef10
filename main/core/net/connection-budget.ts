/**
 * A budget for connections that have not yet earned their place: every local process can open
 * TCP connections to a loopback port and just sit on them, and a listener that waits for each one
 * runs out of slots (or the process out of file descriptors) long before a legitimate client
 * arrives. Here a new connection is "pending" until the listener admits it (it sent a complete
 * request with the right key, or a request the listener accepted); a pending connection has a few
 * seconds to be admitted, and when the pending ones reach their limit the oldest is dropped to make
 * room — so a flood costs the flooder its own connections, not the next honest client its turn.
 *
 * One timer per pending connection, cleared on admission: nothing per request.
 */
import type { Socket } from 'node:net';

export interface ConnectionBudgetOptions {
  /** Most pending (not yet admitted) connections at once; a new one beyond it evicts the oldest. */
  maxPending: number;
  /** How long a connection may stay pending, ms, before it is closed. */
  admitWithinMs: number;
}

export interface ConnectionBudget {
  /** Registers a new connection as pending (call from the server's 'connection' event). */
  track(socket: Socket): void;
  /** The connection proved itself: it leaves the pending set and its deadline. Idempotent. */
  admit(socket: Socket): void;
  /** Connections currently pending. */
  readonly pending: number;
  /** Clears every deadline (the server is closing; its sockets are destroyed by the server). */
  close(): void;
}

export function createConnectionBudget(options: ConnectionBudgetOptions): ConnectionBudget {
  // Insertion order is arrival order: the first key is the oldest pending connection.
  const pending = new Map<Socket, NodeJS.Timeout>();

  const forget = (socket: Socket): void => {
    const timer = pending.get(socket);
    if (timer === undefined) return;
    clearTimeout(timer);
    pending.delete(socket);
  };

  return {
    track(socket) {
      while (pending.size >= options.maxPending) {
        const oldest = pending.keys().next().value as Socket;
        forget(oldest);
        oldest.destroy();
      }
      const timer = setTimeout(() => {
        pending.delete(socket);
        socket.destroy();
      }, options.admitWithinMs);
      timer.unref();
      pending.set(socket, timer);
      socket.once('close', () => forget(socket));
    },
    admit: forget,
    get pending() {
      return pending.size;
    },
    close() {
      for (const timer of pending.values()) clearTimeout(timer);
      pending.clear();
    },
  };
}
