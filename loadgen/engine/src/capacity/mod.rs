//! Capacity: the AWS quotas the model and the planner rely on ([`quotas`], with their
//! sources in `docs/aws-quotas.md`), the shard count a load needs ([`shards`]), the whole
//! capacity plan with its monthly cost ([`plan`]) and the prices it uses ([`prices`]).

pub mod plan;
pub mod prices;
pub mod quotas;
pub mod shards;
pub mod workers;
