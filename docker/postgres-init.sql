-- Databases for Airflow's metadata and MLflow's tracking store (the store uses POSTGRES_DB = scoreline).
CREATE DATABASE airflow;
CREATE DATABASE mlflow;
