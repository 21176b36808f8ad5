DROP INDEX message_reactions_user;
