import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { NotificationSender, type NotificationReport } from './notification-sender.service.js';
import { parseNotificationRequest } from './notification-request.js';

/** `POST /notifications` `{ "alert", "badge"?, "sound"?, "data"?, "tokens"? }`. */
@Controller('notifications')
export class NotificationsController {
  constructor(private readonly sender: NotificationSender) {}

  /** 200 with a per-token report, whatever each device's outcome; 400 for a bad request. */
  @Post()
  @HttpCode(200)
  send(@Body() body: unknown): Promise<NotificationReport> {
    return this.sender.send(parseNotificationRequest(body));
  }
}
