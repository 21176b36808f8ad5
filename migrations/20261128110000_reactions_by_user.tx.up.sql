-- A deleted account's reactions are taken back, and the messages they were
-- on stamped with an event (store.DeleteAccount): find them without reading
-- every reaction of every conversation.
CREATE INDEX message_reactions_user ON message_reactions (user_id);
