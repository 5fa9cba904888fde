-- The users table of the Go original (id, email, first_name, last_name, password,
-- user_active, created_at, updated_at). `password` holds a bcrypt hash, never a
-- clear-text password. The seed user is inserted by the service at start-up
-- (hashed then), so no hash lives in this repository.
CREATE TABLE IF NOT EXISTS users (
    id          BIGSERIAL    PRIMARY KEY,
    email       VARCHAR(255) NOT NULL UNIQUE,
    first_name  VARCHAR(255) NOT NULL DEFAULT '',
    last_name   VARCHAR(255) NOT NULL DEFAULT '',
    password    VARCHAR(60)  NOT NULL,
    user_active INTEGER      NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ  NOT NULL DEFAULT now()
);
