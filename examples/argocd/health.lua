-- Argo CD health check for Railyard's Policy, PolicyAttachment and Guardrail (railyard.dev).
--   Progressing: the operator has not reported on this generation yet (or no Ready condition).
--   Degraded:    the spec is invalid (Ready=False, reason InvalidSpec; Accepted=False).
--   Healthy:     Ready=True, in force at this generation.
-- Ready=False for another reason (a draft policy, an attachment whose policy has no production
-- version) is Progressing: valid, waiting for a promotion. The message is the condition's.
local hs = { status = "Progressing", message = "Waiting for Railyard to reconcile this object" }
local generation = obj.metadata and obj.metadata.generation
if obj.status == nil or obj.status.conditions == nil then
  return hs
end
if generation ~= nil and (obj.status.observedGeneration == nil or obj.status.observedGeneration < generation) then
  hs.message = "Railyard has not reconciled generation " .. tostring(generation) .. " yet"
  return hs
end
local ready, accepted
for _, c in ipairs(obj.status.conditions) do
  if c.type == "Ready" then ready = c end
  if c.type == "Accepted" then accepted = c end
end
if ready == nil then
  return hs
end
if ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message
elseif ready.reason == "InvalidSpec" or (accepted ~= nil and accepted.status == "False") then
  hs.status = "Degraded"
  hs.message = (accepted ~= nil and accepted.status == "False") and accepted.message or ready.message
else
  hs.status = "Progressing"
  hs.message = ready.message
end
return hs
