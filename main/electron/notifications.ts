/** Desktop notifications through Electron's Notification; a click brings the window forward. */
import { Notification } from 'electron';
import type { NotificationContent } from './notification-policy.js';

export type Notify = (content: NotificationContent) => void;

export function createNotifier(onClick: () => void): Notify {
  return (content) => {
    if (!Notification.isSupported()) return;
    const notification = new Notification({ title: content.title, body: content.body });
    notification.on('click', onClick);
    notification.show();
  };
}
