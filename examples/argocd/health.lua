-- Argo CD health check for Railyard's Policy, PolicyAttachment, Guardrail and GuardrailFloor (railyard.dev).
--   Progressing: the operator has not reported on this generation yet (or no Ready condition), or
--                an attachment names a policy that does not exist yet (GitOps tools apply in any
--                order: it converges once the policy arrives).
--   Degraded:    something is broken: Degraded=True (the history could not be stored: what serves
--                is older than what was declared), Accepted=False (the spec is invalid), or Ready=False
--                because what the object needs is broken (a guardrail missing or invalid, a parent
--                with no production version, the history not stored).
--   Healthy:     Ready=True; also a valid draft Policy (Ready=False, NoProductionVersion) and an
--                attachment waiting for its policy's promotion (PolicyNotInProduction): Git says
--                "not in production yet" and that is what the cluster does. Not Suspended: Argo CD
--                would then show every application holding a draft as Suspended, for as long as
--                the draft is kept.
-- The message is the condition's.
local hs = { status = "Progressing", message = "Waiting for Railyard to reconcile this object" }
local generation = obj.metadata and obj.metadata.generation
if obj.status == nil or obj.status.conditions == nil then
  return hs
end
if generation ~= nil and (obj.status.observedGeneration == nil or obj.status.observedGeneration < generation) then
  hs.message = "Railyard has not reconciled generation " .. tostring(generation) .. " yet"
  return hs
end
local ready, accepted, degraded
for _, c in ipairs(obj.status.conditions) do
  if c.type == "Ready" then ready = c end
  if c.type == "Accepted" then accepted = c end
  if c.type == "Degraded" then degraded = c end
end
if degraded ~= nil and degraded.status == "True" then
  hs.status = "Degraded"
  hs.message = degraded.message
  return hs
end
if accepted ~= nil and accepted.status == "False" then
  hs.status = "Degraded"
  hs.message = accepted.message
  return hs
end
if ready == nil then
  return hs
end
local waiting = { NoProductionVersion = true, PolicyNotInProduction = true }
if ready.status == "True" or (ready.status == "False" and waiting[ready.reason]) then
  hs.status = "Healthy"
  hs.message = ready.message
elseif ready.status == "False" and ready.reason == "PolicyNotFound" then
  hs.status = "Progressing"
  hs.message = ready.message
elseif ready.status == "False" then
  hs.status = "Degraded"
  hs.message = ready.message
else
  hs.message = ready.message
end
return hs
