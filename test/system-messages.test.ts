import t from 'tap'
import { systemSentence } from '../lib/render/system-messages.ts'
import type { ExportMessage } from '../index.ts'

const event = (type: string | undefined, msg = 'bob'): ExportMessage => ({
  _id: 'e', rid: 'r', ts: new Date(0), msg, t: type, u: { _id: 'u-alice', username: 'alice' }
})

t.test('system messages read as sentences', async (t) => {
  t.same(Object.fromEntries([
    'uj', 'ujt', 'ul', 'ult', 'au', 'ru', 'r', 'room_changed_topic', 'room_changed_description', 'room_changed_announcement',
    'room_changed_privacy', 'room_changed_avatar', 'user-muted', 'user-unmuted', 'subscription-role-added',
    'subscription-role-removed', 'message_pinned', 'rm', 'discussion-created'
  ].map((type) => [type, systemSentence(event(type))])), {
    uj: 'alice joined the room',
    ujt: 'alice joined the team',
    ul: 'alice left the room',
    ult: 'alice left the team',
    au: 'bob was added by alice',
    ru: 'bob was removed by alice',
    r: 'alice changed the room name to bob',
    room_changed_topic: 'alice changed the room topic to bob',
    room_changed_description: 'alice changed the room description to bob',
    room_changed_announcement: 'alice changed the room announcement to bob',
    room_changed_privacy: 'alice changed the room type to bob',
    room_changed_avatar: 'alice changed the room avatar',
    'user-muted': 'bob was muted by alice',
    'user-unmuted': 'bob was unmuted by alice',
    'subscription-role-added': 'bob was given a role by alice',
    'subscription-role-removed': 'bob lost a role, removed by alice',
    message_pinned: 'alice pinned a message',
    rm: 'alice deleted a message',
    'discussion-created': 'alice started a discussion: bob'
  })
  t.equal(systemSentence(event('room_changed_topic', '')), 'alice removed the room topic')
  t.equal(systemSentence(event('livechat-started', 'visitor 7')), 'alice: livechat-started — visitor 7')
  t.equal(systemSentence(event('e2e', '')), 'alice: e2e')
  t.equal(systemSentence(event(undefined)), null, 'an ordinary message has no sentence')
})
