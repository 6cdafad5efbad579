-- A CrystalPM-shaped schema (after the vendor's published data dictionary: patients
-- keyed by account id, appointments, per-encounter clinical records), reduced to what
-- the crystalpm adapter reads and writes, plus the adapter's own idempotency ledger.
-- MySQL 5.7+/MariaDB 10.3+, InnoDB (transactions), utf8mb4.

CREATE TABLE providers (
  provider_id   INT          NOT NULL PRIMARY KEY,
  first_name    VARCHAR(40)  NOT NULL,
  last_name     VARCHAR(40)  NOT NULL,
  npi           CHAR(10)     NULL,
  -- 0 for a provider who left or is no longer bookable (kept for history).
  active        TINYINT(1)   NOT NULL DEFAULT 1
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE patients (
  account_id    INT          NOT NULL PRIMARY KEY,
  first_name    VARCHAR(40)  NOT NULL,
  last_name     VARCHAR(40)  NOT NULL,
  birth_date    DATE         NULL,
  email         VARCHAR(120) NULL,
  home_phone    VARCHAR(20)  NULL,
  address1      VARCHAR(80)  NULL,
  city          VARCHAR(40)  NULL,
  state         CHAR(2)      NULL,
  zip           VARCHAR(10)  NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Insurance on file, primary first (priority 1).
CREATE TABLE patient_insurance (
  account_id    INT          NOT NULL,
  priority      TINYINT      NOT NULL DEFAULT 1,
  carrier       VARCHAR(60)  NOT NULL,
  plan_name     VARCHAR(60)  NULL,
  PRIMARY KEY (account_id, priority),
  CONSTRAINT patient_insurance_patient FOREIGN KEY (account_id) REFERENCES patients (account_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- The practice's staff logins (front desk, billing, technicians), with their emails.
CREATE TABLE users (
  user_id       INT          NOT NULL PRIMARY KEY,
  login         VARCHAR(40)  NOT NULL,
  first_name    VARCHAR(40)  NOT NULL,
  last_name     VARCHAR(40)  NOT NULL,
  email         VARCHAR(120) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- provider_id is deliberately not a foreign key: CrystalPM keeps appointments whose
-- provider was deleted or never set up (the "unknown provider" case).
CREATE TABLE appts (
  appt_id       INT          NOT NULL PRIMARY KEY,
  account_id    INT          NOT NULL,
  provider_id   INT          NULL,
  appt_start    DATETIME     NOT NULL,
  duration_min  SMALLINT     NOT NULL DEFAULT 15,
  appt_type     VARCHAR(40)  NOT NULL,
  status        VARCHAR(20)  NOT NULL DEFAULT 'scheduled',
  KEY appts_start (appt_start),
  CONSTRAINT appts_patient FOREIGN KEY (account_id) REFERENCES patients (account_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- One row per encounter (CrystalPM's "EHR file"): the exam header and free text.
CREATE TABLE ehr_file (
  ehr_id          INT          NOT NULL PRIMARY KEY,
  account_id      INT          NOT NULL,
  appt_id         INT          NULL,
  exam_date       DATE         NOT NULL,
  provider_id     INT          NULL,
  locked          TINYINT(1)   NOT NULL DEFAULT 0,
  chief_complaint VARCHAR(255) NULL,
  hpi             TEXT         NULL,
  assessment      TEXT         NULL,
  plan            TEXT         NULL,
  CONSTRAINT ehr_file_patient FOREIGN KEY (account_id) REFERENCES patients (account_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE ehr_va (
  ehr_id        INT          NOT NULL PRIMARY KEY,
  dist_sc_od    VARCHAR(10)  NULL,
  dist_sc_os    VARCHAR(10)  NULL,
  dist_cc_od    VARCHAR(10)  NULL,
  dist_cc_os    VARCHAR(10)  NULL,
  near_cc_od    VARCHAR(10)  NULL,
  near_cc_os    VARCHAR(10)  NULL,
  CONSTRAINT ehr_va_file FOREIGN KEY (ehr_id) REFERENCES ehr_file (ehr_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE ehr_refraction (
  ehr_id        INT          NOT NULL,
  rx_type       VARCHAR(12)  NOT NULL,
  eye           CHAR(2)      NOT NULL,
  sphere        DECIMAL(5,2) NULL,
  cylinder      DECIMAL(5,2) NULL,
  axis          SMALLINT     NULL,
  add_power     DECIMAL(4,2) NULL,
  PRIMARY KEY (ehr_id, rx_type, eye),
  CONSTRAINT ehr_refraction_file FOREIGN KEY (ehr_id) REFERENCES ehr_file (ehr_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE ehr_iop (
  ehr_id        INT          NOT NULL PRIMARY KEY,
  iop_od        SMALLINT     NULL,
  iop_os        SMALLINT     NULL,
  method        VARCHAR(20)  NULL,
  CONSTRAINT ehr_iop_file FOREIGN KEY (ehr_id) REFERENCES ehr_file (ehr_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Exam findings by code (`pupils`, `slit_lamp.od.lens`, `fundus.os.cup_disc_ratio`...).
CREATE TABLE ehr_findings (
  ehr_id        INT           NOT NULL,
  finding       VARCHAR(60)   NOT NULL,
  finding_text  VARCHAR(1000) NOT NULL,
  PRIMARY KEY (ehr_id, finding),
  CONSTRAINT ehr_findings_file FOREIGN KEY (ehr_id) REFERENCES ehr_file (ehr_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE ehr_diagnoses (
  ehr_id        INT           NOT NULL,
  seq           SMALLINT      NOT NULL,
  icd10         VARCHAR(10)   NOT NULL,
  description   VARCHAR(255)  NOT NULL,
  eye           CHAR(2)       NULL,
  is_primary    TINYINT(1)    NOT NULL DEFAULT 0,
  PRIMARY KEY (ehr_id, seq),
  CONSTRAINT ehr_diagnoses_file FOREIGN KEY (ehr_id) REFERENCES ehr_file (ehr_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE ehr_notes (
  note_id       INT           NOT NULL AUTO_INCREMENT PRIMARY KEY,
  ehr_id        INT           NOT NULL,
  note_text     TEXT          NOT NULL,
  created_at    DATETIME      NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT ehr_notes_file FOREIGN KEY (ehr_id) REFERENCES ehr_file (ehr_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Not CrystalPM's: the adapter's ledger of written jobs, inserted in the same
-- transaction as the data, so a job id is written at most once.
CREATE TABLE doctora_jobs (
  job_id        VARCHAR(64)   NOT NULL PRIMARY KEY,
  ehr_id        INT           NOT NULL,
  -- The host's transaction id of the attempt that wrote it (its audit trail's key).
  transaction_id VARCHAR(64)  NULL,
  written_at    DATETIME      NOT NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
