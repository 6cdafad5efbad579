-- An OfficeMate-shaped schema for Microsoft SQL Server (after OfficeMate/ExamWRITER's
-- layout: patients, appointments booked against resources, and per-exam clinical
-- tables), reduced to what the officemate adapter reads and writes, plus the adapter's
-- own idempotency ledger. SQL Server 2016+ (also loads into the iridium_server TDS
-- emulator the tests use).

CREATE TABLE dbo.Resources (
  ResourceID     INT           NOT NULL PRIMARY KEY,
  ResourceType   NVARCHAR(20)  NOT NULL,
  FirstName      NVARCHAR(40)  NOT NULL,
  LastName       NVARCHAR(40)  NOT NULL,
  NPI            NVARCHAR(10)  NULL,
  -- 0 for a resource no longer bookable (kept for history).
  IsActive       BIT           NOT NULL
);

CREATE TABLE dbo.Patients (
  PatientID      INT           NOT NULL PRIMARY KEY,
  FirstName      NVARCHAR(40)  NOT NULL,
  LastName       NVARCHAR(40)  NOT NULL,
  BirthDate      DATE          NULL,
  EMail          NVARCHAR(120) NULL,
  HomePhone      NVARCHAR(20)  NULL,
  Address1       NVARCHAR(80)  NULL,
  City           NVARCHAR(40)  NULL,
  State          NVARCHAR(2)   NULL,
  ZipCode        NVARCHAR(10)  NULL
);

-- Insurance policies on file, primary first (Priority 1).
CREATE TABLE dbo.PatientInsurance (
  PolicyID       INT           NOT NULL PRIMARY KEY,
  PatientID      INT           NOT NULL,
  Priority       INT           NOT NULL,
  CarrierName    NVARCHAR(60)  NOT NULL,
  PlanName       NVARCHAR(60)  NULL
);

-- The practice's staff logins (front desk, billing, technicians), with their emails.
CREATE TABLE dbo.Users (
  UserID         INT           NOT NULL PRIMARY KEY,
  LoginName      NVARCHAR(40)  NOT NULL,
  FirstName      NVARCHAR(40)  NOT NULL,
  LastName       NVARCHAR(40)  NOT NULL,
  EMail          NVARCHAR(120) NULL
);

-- ResourceID is deliberately not a foreign key: OfficeMate keeps appointments booked
-- against a resource that was later deleted (the "unknown provider" case).
CREATE TABLE dbo.Appointments (
  AppointmentID   INT          NOT NULL PRIMARY KEY,
  PatientID       INT          NOT NULL,
  ResourceID      INT          NULL,
  StartTime       DATETIME2    NOT NULL,
  DurationMinutes SMALLINT     NOT NULL,
  AppointmentType NVARCHAR(40) NOT NULL,
  Status          NVARCHAR(20) NOT NULL
);

-- One row per exam: the header, its sign-off flag and the free text.
CREATE TABLE dbo.Exams (
  ExamID          INT           NOT NULL PRIMARY KEY,
  PatientID       INT           NOT NULL,
  AppointmentID   INT           NULL,
  ExamDate        DATE          NOT NULL,
  ResourceID      INT           NULL,
  IsSigned        BIT           NOT NULL,
  ChiefComplaint  NVARCHAR(255) NULL,
  HPI             NVARCHAR(MAX) NULL,
  Assessment      NVARCHAR(MAX) NULL,
  TreatmentPlan   NVARCHAR(MAX) NULL
);

CREATE TABLE dbo.ExamVisualAcuity (
  ExamID          INT          NOT NULL PRIMARY KEY,
  DistanceScOD    NVARCHAR(10) NULL,
  DistanceScOS    NVARCHAR(10) NULL,
  DistanceScOU    NVARCHAR(10) NULL,
  DistanceCcOD    NVARCHAR(10) NULL,
  DistanceCcOS    NVARCHAR(10) NULL,
  DistanceCcOU    NVARCHAR(10) NULL,
  NearCcOD        NVARCHAR(10) NULL,
  NearCcOS        NVARCHAR(10) NULL,
  NearCcOU        NVARCHAR(10) NULL
);

-- One row per exam, refraction type and eye (OD / OS).
CREATE TABLE dbo.ExamRefraction (
  ExamID          INT          NOT NULL,
  RxType          NVARCHAR(12) NOT NULL,
  Eye             NVARCHAR(2)  NOT NULL,
  Sphere          DECIMAL(5,2) NULL,
  Cylinder        DECIMAL(5,2) NULL,
  Axis            SMALLINT     NULL,
  AddPower        DECIMAL(4,2) NULL,
  PRIMARY KEY (ExamID, RxType, Eye)
);

-- One row per exam and eye.
CREATE TABLE dbo.ExamKeratometry (
  ExamID          INT          NOT NULL,
  Eye             NVARCHAR(2)  NOT NULL,
  K1              DECIMAL(5,2) NULL,
  K2              DECIMAL(5,2) NULL,
  K1Axis          SMALLINT     NULL,
  PRIMARY KEY (ExamID, Eye)
);

CREATE TABLE dbo.ExamIOP (
  ExamID          INT          NOT NULL PRIMARY KEY,
  IopOD           SMALLINT     NULL,
  IopOS           SMALLINT     NULL,
  Method          NVARCHAR(20) NULL,
  MeasuredAt      NVARCHAR(5)  NULL
);

-- Findings by code (`pupils`, `slit_lamp.od.lens`, `fundus.os.cup_disc_ratio`...).
CREATE TABLE dbo.ExamFindings (
  ExamID          INT            NOT NULL,
  FindingCode     NVARCHAR(60)   NOT NULL,
  FindingText     NVARCHAR(1000) NOT NULL,
  PRIMARY KEY (ExamID, FindingCode)
);

CREATE TABLE dbo.ExamDiagnoses (
  ExamID          INT           NOT NULL,
  Seq             SMALLINT      NOT NULL,
  ICD10Code       NVARCHAR(10)  NOT NULL,
  Description     NVARCHAR(255) NOT NULL,
  Eye             NVARCHAR(2)   NULL,
  IsPrimary       BIT           NOT NULL,
  PRIMARY KEY (ExamID, Seq)
);

CREATE TABLE dbo.ExamNotes (
  NoteID          INT IDENTITY(1,1) NOT NULL PRIMARY KEY,
  ExamID          INT           NOT NULL,
  NoteText        NVARCHAR(MAX) NOT NULL,
  CreatedAt       DATETIME2     NOT NULL DEFAULT SYSUTCDATETIME()
);

-- Not OfficeMate's: the adapter's ledger of written jobs, inserted in the same
-- transaction as the data, so a job id is written at most once.
CREATE TABLE dbo.DoctoraJobs (
  JobID           NVARCHAR(64)  NOT NULL PRIMARY KEY,
  ExamID          INT           NOT NULL,
  -- The host's transaction id of the attempt that wrote it (its audit trail's key).
  TransactionID   NVARCHAR(64)  NULL,
  WrittenAt       DATETIME2     NOT NULL DEFAULT SYSUTCDATETIME()
);
