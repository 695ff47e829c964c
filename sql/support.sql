-- Support and survey report of the bundled sample data: first response and resolution times,
-- post-ticket CSAT and CES with 95 % intervals, and NPS weighted to the customer base.
-- Run from the repository root:  cargo run --bin engage -- -f sql/support.sql

CREATE EXTERNAL TABLE tickets STORED AS PARQUET LOCATION 'examples/data/tickets.parquet';
CREATE EXTERNAL TABLE responses STORED AS PARQUET LOCATION 'examples/data/responses.parquet';
CREATE EXTERNAL TABLE ticket_messages STORED AS PARQUET LOCATION 'examples/data/ticket_messages.parquet';

-- First response time by priority: mean hours from opening to the first agent reply, over the
-- tickets that got one, and how many are still waiting.
SELECT t.priority,
       count(*)                                                               AS tickets,
       count(*) FILTER (WHERE r.first_reply_at IS NULL)                       AS without_reply,
       round(avg_resolution_time(t.opened_at, r.first_reply_at) / 3600, 2)    AS avg_hours_to_first_reply
FROM tickets t
LEFT JOIN (SELECT ticket_id, min(sent_at) AS first_reply_at FROM ticket_messages
           WHERE author = 'agent' GROUP BY ticket_id) r ON r.ticket_id = t.ticket_id
GROUP BY t.priority
ORDER BY avg_hours_to_first_reply;

-- Tickets by priority: how many are still open and the mean hours to resolution.
SELECT priority,
       count(*)                                                     AS tickets,
       count(*) FILTER (WHERE resolved_at IS NULL)                  AS open_tickets,
       round(avg_resolution_time(opened_at, resolved_at) / 3600, 1) AS avg_hours_to_resolve
FROM tickets
GROUP BY priority
ORDER BY avg_hours_to_resolve;

-- Post-ticket satisfaction by channel: CSAT (% 4–5 of 1–5) and CES (mean of 1–7) with their
-- answer counts and 95 % intervals, so small channels are not over-read.
SELECT channel,
       csat['responses']                                       AS answers,
       round(csat['csat'], 1)                                  AS csat_pct,
       round(csat['ci_low'], 1) || ' – ' || round(csat['ci_high'], 1) AS csat_95,
       round(ces['ces'], 2)                                    AS ces,
       round(ces['ci_low'], 2) || ' – ' || round(ces['ci_high'], 2)   AS ces_95
FROM (SELECT channel, csat_summary(csat_score) AS csat, ces_summary(ces_score) AS ces
      FROM tickets GROUP BY channel)
ORDER BY channel;

-- Resolution time against satisfaction: CSAT by how long the ticket took.
SELECT CASE WHEN hours < 8 THEN '1: under 8 h'
            WHEN hours < 48 THEN '2: 8 h – 2 days'
            ELSE '3: over 2 days' END                           AS resolution,
       count(csat_score)                                        AS answers,
       round(csat(csat_score), 1)                               AS csat_pct
FROM (SELECT csat_score, (date_part('epoch', resolved_at) - date_part('epoch', opened_at)) / 3600 AS hours
      FROM tickets WHERE resolved_at IS NOT NULL)
GROUP BY resolution
ORDER BY resolution;

-- NPS of the survey: the answers as they came, and weighted to each segment's share of the
-- customer base (survey_weight), with the weighted interval from Kish's effective sample size.
SELECT round(raw['nps'], 1)                                      AS nps_unweighted,
       round(weighted['nps'], 1)                                 AS nps_weighted,
       weighted['responses']                                     AS responses,
       round(weighted['ci_low'], 1) || ' – ' || round(weighted['ci_high'], 1) AS nps_weighted_95
FROM (SELECT nps_summary(nps_score) AS raw, nps_summary(nps_score, survey_weight) AS weighted
      FROM responses);

-- NPS by segment with the counts behind it and its 95 % interval.
SELECT segment, s['responses'] AS responses, s['promoters'] AS promoters, s['passives'] AS passives,
       s['detractors'] AS detractors, round(s['nps'], 1) AS nps,
       round(s['ci_low'], 1) AS nps_ci_low, round(s['ci_high'], 1) AS nps_ci_high
FROM (SELECT segment, nps_summary(nps_score) AS s FROM responses GROUP BY segment)
ORDER BY segment;
