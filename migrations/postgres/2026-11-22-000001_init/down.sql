DROP TABLE device_owners;
DROP TABLE device_lines;
DROP TABLE devices;
DROP TABLE account_members;
DROP TABLE accounts;
DROP TABLE app_settings;
DROP TABLE logins;
DROP TABLE nodes;
