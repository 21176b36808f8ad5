DROP FUNCTION IF EXISTS natter_send_batch(bigint[], uuid[], uuid[], text[]);
DROP TRIGGER IF EXISTS users_gone ON users;
DROP FUNCTION IF EXISTS natter_user_gone();
DROP TRIGGER IF EXISTS conversations_gone ON conversations;
DROP FUNCTION IF EXISTS natter_conversation_gone();
ALTER TABLE messages ADD CONSTRAINT messages_conversation_id_fkey
    FOREIGN KEY (conversation_id) REFERENCES conversations (id) ON DELETE CASCADE;
ALTER TABLE messages ADD CONSTRAINT messages_sender_id_fkey
    FOREIGN KEY (sender_id) REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE seen_history ADD CONSTRAINT seen_history_conversation_id_fkey
    FOREIGN KEY (conversation_id) REFERENCES conversations (id) ON DELETE CASCADE;
ALTER TABLE seen_history ADD CONSTRAINT seen_history_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
